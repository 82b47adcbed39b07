@preconcurrency import Glibc

/// The files and folders dq keeps beside a store: `PATH-lock`, and `PATH-wake/` (with
/// `waiters` and `traffic`), `PATH-holders/` and `PATH-locks/`. dq makes them 0600 and
/// 0700 without following links; one that is already there is trusted only if it looks
/// like that: not a symbolic link, of the right type, owned by the store file's owner
/// (or root), and not writable by group or others. Otherwise another user of a shared folder
/// could redirect dq's writes, delete a held lock's or a lease holder's file, or
/// truncate a mapped file under it.
enum SideFiles {
    /// The side files and folders of the store at `storePath` that must be checked when
    /// they exist, with the type each must have.
    static func expected(storePath path: String) -> [(path: String, type: mode_t)] {
        [(path + "-lock", S_IFREG), (path + "-wake", S_IFDIR), (path + "-wake/waiters", S_IFREG),
         (path + "-wake/traffic", S_IFREG), (path + "-holders", S_IFDIR), (path + "-locks", S_IFDIR)]
    }

    /// Refuses the store if any of its side files or folders that exist is not as dq
    /// makes it.
    ///
    /// - Throws: `DQError.storeUnavailable` naming the path and what is wrong with it.
    static func verify(storePath path: String) throws(DQError) {
        var store = stat()
        guard stat(path, &store) == 0 else { return }
        for (side, type) in expected(storePath: path) {
            var info = stat()
            guard lstat(side, &info) == 0 else { continue }
            if let problem = problem(info, type: type, owner: store.st_uid) {
                throw DQError(.storeUnavailable, "refusing \(side): \(problem); remove it if dq should make it anew")
            }
        }
    }

    /// What is wrong with a side file whose `lstat` is `info`, if anything.
    static func problem(_ info: stat, type: mode_t, owner: uid_t) -> String? {
        let actual = info.st_mode & S_IFMT
        if actual == S_IFLNK { return "it is a symbolic link" }
        if actual != type { return type == S_IFDIR ? "it is not a directory" : "it is not a regular file" }
        // Root's own files cannot have been planted by another user (root running dq on
        // someone's store makes them so).
        if info.st_uid != owner && info.st_uid != 0 {
            return "it is owned by uid \(info.st_uid), not by the store's owner (uid \(owner))"
        }
        if info.st_mode & 0o022 != 0 {
            return "it is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8)))"
        }
        return nil
    }
}
