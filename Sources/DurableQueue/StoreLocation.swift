@preconcurrency import Glibc

/// Where a store lives on disk, and preparing that place before SQLite opens it.
public enum StoreLocation {
    /// The environment variable that names the store when no path is given.
    public static let environmentVariable = "DQ_DB"

    /// The store path used when none is given: `$DQ_DB` if set and non-empty, else
    /// `$XDG_DATA_HOME/dq/default.db`, else `~/.local/share/dq/default.db`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let path = environment[environmentVariable], !path.isEmpty {
            return path
        }
        if let dataHome = environment["XDG_DATA_HOME"], dataHome.hasPrefix("/") {
            return dataHome + "/dq/default.db"
        }
        return homeDirectory(environment: environment) + "/.local/share/dq/default.db"
    }

    private static func homeDirectory(environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir {
            return String(cString: dir)
        }
        return "/tmp"
    }

    /// Makes sure the store file can be opened: creates missing parent directories
    /// (mode 0700) and, when the file does not exist yet, creates it empty with mode
    /// 0600 so SQLite (and its `-wal` / `-shm` files, which copy the mode) never makes
    /// it world-readable.
    ///
    /// - Returns: `true` if this call created the file.
    /// - Throws: `DQError.storeUnavailable` when a directory or the file cannot be
    ///   made, or the path names a directory.
    static func prepare(path: String) throws(DQError) -> Bool {
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw DQError(.storeUnavailable, "cannot open \(path): it is a directory")
            }
            return false
        }
        try makeDirectories(parentOf: path)
        // The file does not exist, so no SQLite connection in this process has it open:
        // closing this descriptor cannot drop anyone's POSIX locks.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST { return false }
            throw DQError(.storeUnavailable, "cannot create \(path): \(describe(code))")
        }
        close(fd)
        return true
    }

    /// `mkdir -p` for the directory that holds `path`.
    private static func makeDirectories(parentOf path: String) throws(DQError) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let parent = String(path[..<slash])
        if parent.isEmpty { return }
        var prefix = parent.hasPrefix("/") ? "" : "."
        for component in parent.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) == 0 { continue }
            let code = errno
            var info = stat()
            if code == EEXIST, stat(prefix, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { continue }
            let reason = code == EEXIST ? "a file is in the way" : describe(code)
            throw DQError(.storeUnavailable, "cannot create directory \(prefix): \(reason)")
        }
    }

    /// The size in bytes of the file at `path`, or 0 if it does not exist.
    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
