import DQSystem

/// The files and folders dq keeps beside a store: `PATH-lock`, and `PATH-wake/` (with
/// `waiters`, `traffic`, `deliveries`, `seats`, `seats-locks` and `seats-bodies`), `PATH-holders/` and
/// `PATH-locks/`. dq
/// makes them 0600 and 0700 without following links; one that is already there is trusted only if it looks
/// like that: not a symbolic link, of the right type, owned by the store file's owner
/// (or root), and not writable by group or others. Otherwise another user of a shared folder
/// could redirect dq's writes, delete a held lock's or a lease holder's file, or
/// truncate a mapped file under it.
enum SideFiles {
    /// The side files and folders of the store at `storePath` that must be checked when
    /// they exist, with the type each must have.
    static func expected(storePath path: String) -> [(path: String, type: FileStatus.FileType)] {
        [(path + "-lock", .regular), (path + "-wake", .directory), (path + "-wake/waiters", .regular),
         (path + "-wake/traffic", .regular), (path + "-wake/deliveries", .regular), (path + "-wake/seats", .regular),
         (path + "-wake/seats-locks", .regular), (path + "-wake/seats-bodies", .regular), (path + "-holders", .directory),
         (path + "-locks", .directory)]
    }

    /// Refuses the store if any of its side files or folders that exist is not as dq
    /// makes it.
    ///
    /// - Throws: `DQError.storeUnavailable` naming the path and what is wrong with it.
    static func verify(storePath path: String) throws(DQError) {
        guard let store = try? FileStatus(path: path) else { return }
        for (side, type) in expected(storePath: path) {
            guard let info = try? FileStatus(path: side, followingLinks: false) else { continue }
            if let problem = problem(info, type: type, owner: store.owner) {
                throw DQError(.storeUnavailable, "refusing \(side): \(problem); remove it if dq should make it anew")
            }
        }
    }

    /// What is wrong with a side file whose `lstat` is `info`, if anything.
    static func problem(_ info: FileStatus, type: FileStatus.FileType, owner: FileStatus.UserID) -> String? {
        if info.type == .symbolicLink { return "it is a symbolic link" }
        if info.type != type { return type == .directory ? "it is not a directory" : "it is not a regular file" }
        // Root's own files cannot have been planted by another user (root running dq on
        // someone's store makes them so).
        if info.owner != owner && info.owner != 0 {
            return "it is owned by uid \(info.owner), not by the store's owner (uid \(owner))"
        }
        if info.permissions & 0o022 != 0 {
            return "it is writable by group or others (mode \(String(info.permissions, radix: 8)))"
        }
        return nil
    }

    /// Makes the side folder `directory` (mode 0700) unless it is there already.
    ///
    /// - Throws: `DQError` of the kind the errno says (`Kind(errno:)`), else
    ///   `.storeUnavailable`, if it cannot be made.
    static func makeDirectory(_ directory: String) throws(DQError) {
        do throws(Errno) {
            try Directory.make(directory, mode: 0o700, existingOK: true)
        } catch {
            throw DQError(error, "cannot create \(directory)")
        }
    }
}
