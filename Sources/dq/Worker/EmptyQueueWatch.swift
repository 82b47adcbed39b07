import Synchronization

/// Decides when `dq worker --exit-when-empty` is done: every slot has found nothing ready
/// to take, and no message this worker failed is still to come back for a retry.
/// Messages delayed by their producer, or leased by other consumers, are not waited for.
final class EmptyQueueWatch: Sendable {
    /// What an idle slot does next.
    enum Next: Equatable {
        /// The worker is done: the slot ends.
        case done
        /// Wait for a message at most this long (`nil`: until one comes or the worker stops).
        case wait(Duration?)
    }

    private struct State {
        /// Slots that found nothing and are waiting.
        var idle = 0
        /// When messages this worker failed come back, at the latest.
        var retries: [ContinuousClock.Instant] = []
        var done = false
    }

    private let slots: Int
    private let state = Mutex(State())

    init(slots: Int) {
        self.slots = slots
    }

    /// Whether the worker is done.
    var isDone: Bool { state.withLock { $0.done } }

    /// Remembers that a message this worker failed becomes deliverable again `delay`
    /// from now (call after its nack committed).
    func retry(after delay: Duration) {
        let due = ContinuousClock.now + delay
        state.withLock { $0.retries.append(due) }
    }

    /// A slot found nothing ready in a look that started at `looked`: it is idle until
    /// `stopWaiting()`. Retries due by then were taken (by anyone) or are gone.
    func becameIdle(lookedAt looked: ContinuousClock.Instant) -> Next {
        state.withLock { state in
            state.retries.removeAll { $0 <= looked }
            state.idle += 1
            if state.idle == slots && state.retries.isEmpty { state.done = true }
            if state.done { return .done }
            return .wait(state.retries.min().map { max(.zero, $0 - .now) })
        }
    }

    /// The slot's wait ended (a message, its time limit, or a stop).
    func stopWaiting() {
        state.withLock { $0.idle -= 1 }
    }
}
