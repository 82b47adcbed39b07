@preconcurrency import Glibc

/// Open-file-description locks (`fcntl` `F_OFD_SETLK` / `F_OFD_SETLKW`, Linux 3.15+) on
/// a whole file: owned by the open file, released by the kernel when it is closed or
/// its process dies, kept apart from `flock` locks on the same file, and converted
/// between shared and exclusive atomically (unlike `flock`).
enum OpenFileLock {
    /// `F_OFD_SETLK` and `F_OFD_SETLKW`, which Glibc's Swift overlay does not export.
    private static let setLock: Int32 = 37
    private static let setLockWaiting: Int32 = 38

    enum Kind {
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
    /// that is possible (retrying on signals). Returns false (errno set) if another
    /// process's lock is in the way (without `waiting`) or on error.
    static func set(_ fd: Int32, _ kind: Kind, waiting: Bool = false) -> Bool {
        var lock = flock()
        lock.l_type = kind.type
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0  // to the end of the file, however long
        lock.l_pid = 0  // required for open-file-description locks
        while true {
            if fcntl(fd, waiting ? setLockWaiting : setLock, &lock) == 0 { return true }
            if !(waiting && errno == EINTR) { return false }
        }
    }
}
