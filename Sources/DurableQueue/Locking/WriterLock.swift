import DQSystem
import Dispatch
import Synchronization

/// Makes writers take turns in the kernel instead of in SQLite's busy handler, which
/// sleeps 1–100 ms between tries: `flock(LOCK_EX)` on the sidecar `PATH-lock`, so a
/// waiting writer sleeps in `flock` and runs the moment the holder is done. The kernel
/// drops the lock when a holder dies, however it dies.
///
/// Two uses: by default only writers that found SQLite's write lock taken queue on it
/// (`ContendedWrite`); with `StoreOptions.writerLock`, every write takes it before
/// `BEGIN IMMEDIATE` and drops it after the commit.
///
/// Threads of one process take turns on a semaphore first: a `flock` is owned by the
/// open file, which they share. Waiting honours a timeout: when the lock is taken, the
/// blocking `flock` runs on a helper thread with its own open file, and the caller
/// stops waiting for it when the timeout passes (the helper lets go as soon as it gets
/// the lock).
///
/// `@unchecked Sendable`: `fd` is fixed after init and the semaphore is thread-safe.
final class WriterLock: @unchecked Sendable {
    private let path: String
    private let fd: FileDescriptor
    private let turn = DispatchSemaphore(value: 1)

    /// What the current holder holds: the shared descriptor, or a helper's own.
    struct Hold {
        /// The descriptor whose open file is locked.
        let descriptor: FileDescriptor
        fileprivate let owned: Bool

        /// `descriptor`'s number.
        var fd: Int32 { descriptor.rawValue }
    }

    init(path: String) throws(DQError) {
        do throws(Errno) {
            fd = try FileDescriptor.open(path, .readWrite, options: [.create, .closeOnExec, .noFollow], permissions: 0o600)
        } catch {
            throw DQError(error, "cannot open lock file \(path)")
        }
        self.path = path
    }

    deinit {
        fd.close()
    }

    /// Waits at most `timeout` for the lock (`nil`: as long as it takes).
    ///
    /// - Throws: `DQError.Kind.timedOut` if another writer held it that long.
    func acquire(timeout: Duration?) throws(DQError) -> Hold {
        let deadline: DispatchTime
        if let timeout {
            let micros = max(0, Timestamp.microseconds(timeout))
            let (nanos, overflow) = micros.multipliedReportingOverflow(by: 1_000)
            deadline = overflow ? .distantFuture : .now() + .nanoseconds(Int(clamping: nanos))
        } else {
            deadline = .distantFuture
        }
        guard turn.wait(timeout: deadline) == .success else { throw timedOut(timeout) }
        do throws(Errno) {
            if try fd.lockExclusively(waiting: false) { return Hold(descriptor: fd, owned: false) }
        } catch {
            turn.signal()
            throw DQError(error, "cannot lock \(path)")
        }
        let handoff = Handoff()
        // A queue of its own, not the global pool: a serial queue may start a thread when
        // the pool's are all blocked (for example by async waits), so the wait for the
        // lock never queues behind them.
        DispatchQueue(label: "dq.writer-lock-wait").async { [path] in handoff.run(path: path) }
        if handoff.done.wait(timeout: deadline) == .timedOut, handoff.abandon() {
            turn.signal()
            throw timedOut(timeout)
        }
        guard let owned = handoff.fd else {
            turn.signal()
            throw handoff.error.map { DQError($0, "cannot lock \(path)") } ?? DQError(.internalError, "cannot lock \(path)")
        }
        return Hold(descriptor: owned, owned: true)
    }

    func release(_ hold: Hold) {
        if hold.owned { hold.descriptor.close() } else { hold.descriptor.unlockFlock() }
        turn.signal()
    }

    private func timedOut(_ timeout: Duration?) -> DQError {
        DQError(.timedOut, "\(path) stayed locked by another process for \(timeout.map(DurationText.format) ?? "ever")")
    }

    /// A blocking `flock` on a helper thread, and who gets the lock when it succeeds.
    /// `Sendable`: its outcome changes only inside `outcome`'s `Mutex`.
    private final class Handoff: Sendable {
        let done = DispatchSemaphore(value: 0)
        private let outcome = Mutex<Outcome>(Outcome())

        private struct Outcome {
            var abandoned = false
            var fd: FileDescriptor?
            var error: Errno?
        }

        var fd: FileDescriptor? { outcome.withLock { $0.fd } }
        var error: Errno? { outcome.withLock { $0.error } }

        func run(path: String) {
            var fd: FileDescriptor?
            var failure: Errno?
            do throws(Errno) {
                fd = try FileDescriptor.open(path, .readWrite, options: [.closeOnExec, .noFollow])
                try fd?.lockExclusively(waiting: true)
            } catch {
                failure = error
            }
            outcome.withLock { outcome in
                if outcome.abandoned || failure != nil {
                    fd?.close()
                    if !outcome.abandoned { outcome.error = failure }
                } else {
                    outcome.fd = fd
                }
            }
            done.signal()
        }

        /// Gives up waiting. Returns `false` if the helper got the lock (or failed)
        /// first, in which case its result stands.
        func abandon() -> Bool {
            outcome.withLock { outcome in
                if outcome.fd != nil || outcome.error != nil { return false }
                outcome.abandoned = true
                return true
            }
        }
    }
}
