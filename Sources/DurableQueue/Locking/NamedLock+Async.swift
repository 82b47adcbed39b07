import Dispatch
import Synchronization

extension NamedLock {
    /// Async `lock(timeout:)`: waits without blocking a thread of the cooperative pool,
    /// and ends at once when the task is cancelled.
    ///
    /// While another process holds the lock, the wait itself (a `flock`) runs on a
    /// helper thread; a cancelled or timed-out wait leaves that thread to let go of the
    /// lock as soon as it gets it.
    ///
    /// For example:
    ///
    /// ```swift
    /// let held = try await store.lock("deploy").lock(timeout: .seconds(5))
    /// defer { held.unlock() }
    /// ```
    ///
    /// - Throws: `DQError.Kind.timedOut` if another holder kept it for `timeout`;
    ///   `.cancelled` if the task was cancelled first.
    public func lock(timeout: Duration? = nil) async throws(DQError) -> Held {
        if Task.isCancelled { throw DQError.cancelledWait }
        let attempt = LockAttempt()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<any LockHold, DQError>, Never>) in
                attempt.start(continuation)
                DispatchQueue(label: "dq.lock-wait").async { [self] in
                    attempt.finish(Result { () throws(DQError) in try acquire(timeout: timeout) })
                }
            }
        } onCancel: {
            attempt.cancel()
        }
        return Held(hold: try result.get())
    }

    /// Async `withLock(timeout:_:)`: runs `body` holding the lock, waiting for it
    /// without blocking a thread, and ending the wait at once when the task is
    /// cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// try await store.lock("deploy").withLock(timeout: .seconds(30)) {
    ///     try await runMigrations()
    /// }
    /// ```
    ///
    /// - Throws: `DQError` (`.timedOut`, `.cancelled`) if the lock was not taken;
    ///   otherwise whatever `body` throws, as it is (the lock is released either way).
    public func withLock<T>(timeout: Duration? = nil, _ body: () async throws -> T) async throws -> T {
        let held = try await lock(timeout: timeout)
        defer { held.unlock() }
        return try await body()
    }

    /// Async `withLock(timeout:_:)` for a body that throws nothing or only `DQError`:
    /// then `withLock` throws `DQError` alone, so it fits a `throws(DQError)` caller.
    ///
    /// A closure is typed `throws(DQError)` when it says so (`{ () throws(DQError) in … }`)
    /// or throws nothing; one that merely calls `DQError`-throwing functions picks the
    /// untyped overload.
    ///
    /// For example:
    ///
    /// ```swift
    /// let total = try await lock.withLock { () throws(DQError) in try counter.add(1) }
    /// ```
    public func withLock<T>(timeout: Duration? = nil, _ body: () async throws(DQError) -> T) async throws(DQError) -> T {
        let held = try await lock(timeout: timeout)
        defer { held.unlock() }
        return try await body()
    }
}

/// One async wait for a named lock: the helper thread's outcome and the task's
/// cancellation meet here, and whichever comes second loses (a lock taken for a
/// cancelled task is released at once).
private final class LockAttempt: Sendable {
    private let state = Mutex<State>(State())

    private struct State {
        var continuation: CheckedContinuation<Result<any LockHold, DQError>, Never>?
        var over = false
    }

    func start(_ continuation: CheckedContinuation<Result<any LockHold, DQError>, Never>) {
        let cancelled = state.withLock { state -> Bool in
            if state.over { return true }
            state.continuation = continuation
            return false
        }
        if cancelled { continuation.resume(returning: .failure(DQError.cancelledWait)) }
    }

    func finish(_ result: Result<any LockHold, DQError>) {
        let waiting = state.withLock { state in
            defer { state.over = true; state.continuation = nil }
            return state.over ? nil : state.continuation
        }
        if let waiting {
            waiting.resume(returning: result)
        } else if case .success(let hold) = result {
            hold.release()
        }
    }

    func cancel() {
        let waiting = state.withLock { state in
            defer { state.over = true; state.continuation = nil }
            return state.over ? nil : state.continuation
        }
        waiting?.resume(returning: .failure(DQError.cancelledWait))
    }
}
