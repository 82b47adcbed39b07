@preconcurrency import Glibc

// `flock(2)` locks: whole-file advisory locks owned by the open file, released when
// every descriptor on it is closed or with `unlockFlock()`. The kernel keeps them apart
// from `OpenFileLock`s on the same file.
extension FileDescriptor {
    /// Takes the exclusive `flock` (`LOCK_EX`); with `waiting`, sleeps until it is free
    /// (retrying after signals), else gives up at once.
    ///
    /// - Returns: whether this open file holds the lock now: `false` when another one
    ///   holds it (only without `waiting`).
    /// - Throws: `Errno` on error.
    @discardableResult
    public func lockExclusively(waiting: Bool) throws(Errno) -> Bool {
        do throws(Errno) {
            _ = try Errno.retryingInterrupts { flock(rawValue, waiting ? LOCK_EX : LOCK_EX | LOCK_NB) }
            return true
        } catch .wouldBlock {
            return false
        }
    }

    /// Drops this open file's `flock` (`LOCK_UN`); an unlocked file stays unlocked.
    public func unlockFlock() {
        _ = flock(rawValue, LOCK_UN)
    }
}
