import FoundationEssentials

/// A message as the queue holds it now, in whatever state it is: what `Queue.message(id:)`,
/// `Queue.messages(_:after:limit:)` and `Queue.follow(_:after:limit:timeout:interrupt:)`
/// return. A value: it does not change when the stored message does.
///
/// For example:
///
/// ```swift
/// if let stored = try queue.message(id: 1796203312701451000) {
///     print(stored.state, stored.message.attempt, stored.dueAt ?? stored.leasedUntil as Any)
/// }
/// ```
public struct StoredMessage: Sendable, Hashable {
    /// Where a message is in its life.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Deliverable now (a delay that has passed and a lease that ran out count too).
        case ready
        /// Not deliverable before `dueAt`: put with a delay, or nacked with one.
        case delayed
        /// Handed out under a lease that ends at `leasedUntil`, not settled yet.
        case leased
        /// Moved aside after too many deliveries (`Queue.deadLetters(limit:)`).
        case dead
    }

    /// The message. Its `attempt` is the delivery it will be next when ready or delayed,
    /// the delivery under way when leased, and the deliveries it had when dead.
    public let message: Message
    public let state: State
    /// When a delayed message becomes deliverable; `nil` in the other states.
    public let dueAt: Date?
    /// When a leased message's lease runs out; `nil` in the other states.
    public let leasedUntil: Date?
    /// When a dead letter died; `nil` in the other states.
    public let diedAt: Date?

    package init(message: Message, state: State, at time: Date?) {
        self.message = message
        self.state = state
        dueAt = state == .delayed ? time : nil
        leasedUntil = state == .leased ? time : nil
        diedAt = state == .dead ? time : nil
    }
}
