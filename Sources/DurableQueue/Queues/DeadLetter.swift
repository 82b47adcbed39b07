import FoundationEssentials

/// A message that failed too many deliveries (or was rejected), with when and why it
/// died. The message's own fields read through: `dead.id`, `dead.text`, `dead.attempt`
/// (the deliveries it had).
///
/// For example:
///
/// ```swift
/// for dead in try queue.deadLetters() {
///     print(dead.id, dead.deadAt, dead.lastError ?? "no reason recorded")
/// }
/// ```
@dynamicMemberLookup
public struct DeadLetter: Sendable, Hashable {
    /// The message as it was last delivered.
    public let message: Message
    /// When it moved to the dead letters, to the microsecond.
    public let deadAt: Date
    /// Why its last delivery failed; `nil` if nothing was recorded (a nack that gave no
    /// `DeliveryFailure`, or a message that died before dq recorded reasons).
    public let lastError: String?
    /// The exit status of the command whose failure killed it, if that command exited.
    public let exitStatus: Int?
    /// The number of the signal that killed the command whose failure killed it, if one did.
    public let signal: Int?

    /// Makes a dead letter value, for tests and fakes; the library makes the ones it
    /// lists. Nothing is stored.
    ///
    /// For example:
    ///
    /// ```swift
    /// let fake = DeadLetter(message: message, deadAt: Date(), failure: DeliveryFailure("exit status 3", exitStatus: 3))
    /// ```
    public init(message: Message, deadAt: Date, failure: DeliveryFailure?) {
        self.message = message
        self.deadAt = deadAt
        lastError = failure?.error
        exitStatus = failure?.exitStatus
        signal = failure?.signal
    }

    /// The message's fields, read through: `dead.body`, `dead.enqueuedAt`, …
    public subscript<T>(dynamicMember keyPath: KeyPath<Message, T>) -> T {
        message[keyPath: keyPath]
    }
}
