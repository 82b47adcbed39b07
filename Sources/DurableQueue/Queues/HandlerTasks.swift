import Synchronization

/// The handlers `Queue.work` runs, each in an unstructured task of its own, so that
/// cancelling `work` does not cancel them: at shutdown they get a grace period to finish
/// (`cancel(after:)`), then are cancelled.
///
/// For example:
///
/// ```swift
/// let handlers = HandlerTasks()
/// let ending = await handlers.run { try await handler(message) }   // in a work slot
/// handlers.cancel(after: .seconds(10))                              // when work is cancelled
/// ```
final class HandlerTasks: Sendable {
    /// How a handler's run ended.
    enum Ending: Sendable {
        case returned
        /// It threw `error`; `cancelled` says whether its task had been cancelled by then.
        case threw(any Error, cancelled: Bool)
    }

    private struct State {
        var running: [Int: Task<Ending, Never>] = [:]
        var lastNumber = 0
        /// Set once every handler is to be cancelled, those running and any started later.
        var cancelled = false
        var graceTimer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// Runs `body` in a task of its own and waits for it to end. Cancelling the caller
    /// does not cancel it; `cancelAll()` does (at once if it was already called).
    func run(_ body: @escaping @Sendable () async throws -> Void) async -> Ending {
        let task = Task { () -> Ending in
            do {
                try await body()
                return .returned
            } catch {
                return .threw(error, cancelled: Task.isCancelled)
            }
        }
        let number = state.withLock { state -> Int? in
            if state.cancelled { return nil }
            state.lastNumber += 1
            state.running[state.lastNumber] = task
            return state.lastNumber
        }
        if number == nil { task.cancel() }
        let ending = await task.value
        if let number { _ = state.withLock { $0.running.removeValue(forKey: number) } }
        return ending
    }

    /// Cancels every handler still running when `grace` has passed (at once if it is
    /// zero). Calling it again, or after `cancelAll()`, changes nothing.
    func cancel(after grace: Duration) {
        guard grace > .zero else { return cancelAll() }
        state.withLock { state in
            guard !state.cancelled, state.graceTimer == nil else { return }
            state.graceTimer = Task { [self] in
                try? await Task.sleep(for: grace)
                if !Task.isCancelled { cancelAll() }
            }
        }
    }

    /// Cancels every running handler and any started later, and stops the grace timer.
    func cancelAll() {
        let (running, timer) = state.withLock { state in
            state.cancelled = true
            defer { state.graceTimer = nil }
            return (Array(state.running.values), state.graceTimer)
        }
        for task in running { task.cancel() }
        timer?.cancel()
    }
}
