@preconcurrency import Glibc

/// An inotify instance watching one file for modification: how a blocked reader sleeps
/// in the kernel until a writer rings that file (see `Doorbells`).
///
/// Not `Sendable`: one waiting thread uses it at a time (`WaiterPool` hands it over).
final class InotifyWatch {
    let fd: Int32

    /// Starts watching `path`, which must exist.
    ///
    /// - Throws: `DQError.storeUnavailable` if inotify is unavailable or out of watches.
    init(path: String) throws(DQError) {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else {
            throw DQError(.storeUnavailable, "inotify unavailable: \(StoreLocation.describe(errno))")
        }
        let mask = UInt32(IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(fd, path, mask) >= 0 else {
            let code = errno
            close(fd)
            throw DQError(.storeUnavailable, "cannot watch \(path): \(StoreLocation.describe(code))")
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Discards events already queued. Call before re-checking the store: any ring
    /// after this still wakes the next `wait`.
    ///
    /// - Returns: whether there were any (the file was rung since the last drain).
    @discardableResult
    func drain() -> Bool {
        // Events on one file carry no name (16 bytes each) and identical ones are merged,
        // so one read almost always empties the queue; read again only after a full one.
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 8) { buffer in
            var any = false
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count > 0 { any = true }
                if count != buffer.count { return any }
            }
        }
    }

    /// Why `wait` returned.
    enum Wake {
        case rang, timedOut, interrupted
    }

    /// Sleeps until the watched file is rung, `interrupt` becomes readable, or
    /// `timeout` passes. Uses no CPU while it sleeps.
    func wait(timeout: Duration, interrupt: Int32?) -> Wake {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        if let interrupt { fds.append(pollfd(fd: interrupt, events: Int16(POLLIN), revents: 0)) }
        let micros = Timestamp.microseconds(timeout)
        let milliseconds = Int32(clamping: micros <= 0 ? 0 : (micros + 999) / 1_000)
        let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), milliseconds) }
        if ready <= 0 { return .timedOut }  // 0: timed out; EINTR: treat as a timeout, the caller re-checks
        if fds.count > 1 && fds[1].revents != 0 { return .interrupted }
        return .rang
    }
}
