import CLinuxShims
@preconcurrency import Glibc

/// System calls on paths that neither open nor stat them: existence and access checks,
/// removing, permissions, resolving links, and the filesystem's type.
public enum FileSystem {
    /// `access(path, F_OK)`: whether something is at `path` (following links).
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// `access(path, X_OK)`: whether this process may execute the file at `path`.
    public static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0
    }

    /// `mkfifo(3)`: makes a named pipe at `path` with `permissions` (less the umask).
    public static func makeFIFO(_ path: String, permissions: mode_t) throws(Errno) {
        _ = try Errno.checking { mkfifo(path, permissions) }
    }

    /// `faccessat(AT_FDCWD, path, W_OK, AT_EACCESS)`: checks that this process, with
    /// its effective ids, may write the file at `path`.
    ///
    /// - Throws: `Errno`, for example `.permissionDenied`.
    public static func checkWritable(_ path: String) throws(Errno) {
        _ = try Errno.checking { faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) }
    }

    /// `unlink(2)`: removes the file at `path`.
    public static func remove(_ path: String) throws(Errno) {
        _ = try Errno.checking { unlink(path) }
    }

    /// `chmod(2)`: sets the permission bits of the file at `path`.
    public static func setPermissions(_ path: String, _ permissions: mode_t) throws(Errno) {
        _ = try Errno.checking { chmod(path, permissions) }
    }

    /// `realpath(3)`: `path` made absolute, with every symbolic link, `.` and `..`
    /// resolved. The file must exist.
    public static func resolve(_ path: String) throws(Errno) -> String {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath(path, &resolved) != nil else { throw Errno.current }
        return resolved.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// `statfs(path).f_type`: the magic number (linux/magic.h) of the filesystem that
    /// holds `path`.
    public static func magic(of path: String) throws(Errno) -> UInt32 {
        let magic = dq_filesystem_magic(path)
        if magic < 0 { throw Errno.current }
        return UInt32(truncatingIfNeeded: magic)
    }
}
