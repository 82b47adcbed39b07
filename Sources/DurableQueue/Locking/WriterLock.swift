import Dispatch
@preconcurrency import Glibc
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
    private let fd: Int32
    private let turn = DispatchSemaphore(value: 1)

    /// What the current holder holds: the shared descriptor, or a helper's own.
    struct Hold {
        /// The descriptor whose open file is locked.
        let fd: Int32
        fileprivate let owned: Bool
    }

    init(path: String) throws(DQError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw DQError(.storeUnavailable, "cannot open lock file \(path): \(StoreLocation.describe(errno))")
        }
        self.path = path
        self.fd = fd
    }

    deinit {
        close(fd)
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
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return Hold(fd: fd, owned: false) }
        guard errno == EWOULDBLOCK || errno == EINTR else {
            let code = errno
            turn.signal()
            throw DQError(.storeUnavailable, "cannot lock \(path): \(StoreLocation.describe(code))")
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
            throw DQError(.storeUnavailable, "cannot lock \(path): \(StoreLocation.describe(handoff.error))")
        }
        return Hold(fd: owned, owned: true)
    }

    func release(_ hold: Hold) {
        if hold.owned { close(hold.fd) } else { flock(hold.fd, LOCK_UN) }
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
            var fd: Int32?
            var error: Int32 = 0
        }

        var fd: Int32? { outcome.withLock { $0.fd } }
        var error: Int32 { outcome.withLock { $0.error } }

        func run(path: String) {
            let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
            var result: Int32 = fd < 0 ? -1 : 0
            if fd >= 0 {
                repeat { result = flock(fd, LOCK_EX) } while result != 0 && errno == EINTR
            }
            let code = errno
            outcome.withLock { outcome in
                if outcome.abandoned {
                    if fd >= 0 { close(fd) }
                } else {
                    if result == 0 { outcome.fd = fd } else { outcome.error = code; if fd >= 0 { close(fd) } }
                }
            }
            done.signal()
        }

        /// Gives up waiting. Returns `false` if the helper got the lock (or failed)
        /// first, in which case its result stands.
        func abandon() -> Bool {
            outcome.withLock { outcome in
                if outcome.fd != nil || outcome.error != 0 { return false }
                outcome.abandoned = true
                return true
            }
        }
    }
}
