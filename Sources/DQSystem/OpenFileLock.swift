@preconcurrency import Glibc

/// Open-file-description locks (`fcntl` `F_OFD_SETLK` / `F_OFD_SETLKW`, Linux 3.15+) on
/// a whole file (or one byte of it): owned by the open file, released by the kernel when it is closed or
/// its process dies, kept apart from `flock` locks on the same file, and converted
/// between shared and exclusive atomically (unlike `flock`).
public enum OpenFileLock {
    /// `F_OFD_SETLK` and `F_OFD_SETLKW` from `<bits/fcntl-linux.h>`, which Glibc's Swift
    /// module does not import (they need `_GNU_SOURCE`).
    private static let F_OFD_GETLK: Int32 = 36
    private static let F_OFD_SETLK: Int32 = 37
    private static let F_OFD_SETLKW: Int32 = 38

    public enum Kind {
        case shared, exclusive, unlocked

        fileprivate var type: Int16 {
            switch self {
            case .shared: Int16(F_RDLCK)
            case .exclusive: Int16(F_WRLCK)
            case .unlocked: Int16(F_UNLCK)
            }
        }
    }

    /// Sets the lock on the file open as `fd` to `kind`; with `waiting`, sleeps until
    /// that is possible (retrying after signals).
    ///
    /// - Returns: whether the lock is set: `false` when another open file's lock is in
    ///   the way (only without `waiting`).
    /// - Throws: `Errno` on error.
    @discardableResult
    public static func set(_ fd: FileDescriptor, _ kind: Kind, waiting: Bool = false) throws(Errno) -> Bool {
        try set(fd, kind, from: 0, length: 0, waiting: waiting)  // to the end of the file, however long
    }

    /// `set` on the one byte at `offset` only: one lock per slot of a file.
    @discardableResult
    public static func set(_ fd: FileDescriptor, _ kind: Kind, byte offset: Int64) throws(Errno) -> Bool {
        try set(fd, kind, from: offset, length: 1, waiting: false)
    }

    /// Whether another open file holds a lock on the byte at `offset` (this one's own
    /// locks do not count).
    public static func isLocked(_ fd: FileDescriptor, byte offset: Int64) throws(Errno) -> Bool {
        var lock = request(.exclusive, from: offset, length: 1)
        _ = try Errno.retryingInterrupts { fcntl(fd.rawValue, F_OFD_GETLK, &lock) }
        return lock.l_type != Int16(F_UNLCK)
    }

    private static func request(_ kind: Kind, from start: Int64, length: Int64) -> flock {
        var lock = flock()
        lock.l_type = kind.type
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = __off_t(start)
        lock.l_len = __off_t(length)
        lock.l_pid = 0  // required for open-file-description locks
        return lock
    }

    private static func set(_ fd: FileDescriptor, _ kind: Kind, from start: Int64, length: Int64, waiting: Bool) throws(Errno) -> Bool {
        var lock = request(kind, from: start, length: length)
        do throws(Errno) {
            _ = try Errno.retryingInterrupts { fcntl(fd.rawValue, waiting ? F_OFD_SETLKW : F_OFD_SETLK, &lock) }
            return true
        } catch where error == .resourceTemporarilyUnavailable || error == .permissionDenied {
            return false  // fcntl(2) reports a conflicting lock with either
        }
    }
}
