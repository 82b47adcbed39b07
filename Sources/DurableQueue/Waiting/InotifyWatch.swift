import DQSystem

/// An inotify instance of its own watching one file or directory: how a change watch
/// (`StoreEngine.watchChanges()`, behind `dq stats --watch`) sleeps until the store's
/// directory changes. Blocked readers share the store's `WaitReactor` instead; a change
/// watch stays apart from it on purpose: its directory watch fires at every write to the
/// write-ahead log, which in the reactor's instance would wake every blocked reader of
/// the process (they poll that instance) at every write to any queue.
///
/// Not `Sendable`: one thread waits on it at a time.
final class InotifyWatch {
    let fd: FileDescriptor

    /// Starts watching `path`, which must exist.
    ///
    /// - Throws: `DQError.Kind.resourceExhausted` if inotify instances or watches ran out.
    init(path: String) throws(DQError) {
        let fd = try Self.openInstance()
        do {
            try Self.addWatch(fd, path: path)
        } catch {
            fd.close()
            throw error
        }
        self.fd = fd
    }

    deinit {
        fd.close()
    }

    /// A new non-blocking inotify instance.
    ///
    /// - Throws: `DQError.Kind.resourceExhausted` if descriptors or inotify instances ran out.
    static func openInstance() throws(DQError) -> FileDescriptor {
        do throws(Errno) {
            return try Inotify.open()
        } catch {
            throw DQError(.resourceExhausted, "inotify unavailable: \(error.message) (out of descriptors, or of inotify instances: fs.inotify.max_user_instances)")
        }
    }

    /// `Inotify.addWatch`, its failures as `DQError`: ENOSPC here is the watch limit
    /// (`resourceExhausted`), not the disk.
    @discardableResult
    static func addWatch(_ instance: FileDescriptor, path: String) throws(DQError) -> Int32 {
        do throws(Errno) {
            return try Inotify.addWatch(instance, path: path)
        } catch {
            throw error == .noSpace
                ? DQError(.resourceExhausted, "cannot watch \(path): out of inotify watches (see fs.inotify.max_user_watches)")
                : DQError(error, "cannot watch \(path)")
        }
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
                let count = (try? fd.read(into: buffer)) ?? -1
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
        let micros = Timestamp.microseconds(timeout)
        let milliseconds = Int32(clamping: micros <= 0 ? 0 : (micros + 999) / 1_000)
        let ready = Poll.readable([fd] + (interrupt.map { [FileDescriptor(rawValue: $0)] } ?? []), milliseconds: milliseconds)
        // Nothing ready: timed out, or a signal (EINTR) came, treated as a timeout (the caller re-checks).
        guard ready.contains(true) else { return .timedOut }
        if ready.count > 1 && ready[1] { return .interrupted }
        return .rang
    }
}
