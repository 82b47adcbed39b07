/// Why a delivery failed: the error's text and, when the handler was a command
/// (`dq worker`), how that command ended. A message that goes to the dead letters keeps
/// the failure of its last delivery (`DeadLetter`).
///
/// For example:
///
/// ```swift
/// try queue.nack(leased.receipt, failure: DeliveryFailure("upstream answered 503"))
/// let exited = DeliveryFailure("exit status 3", exitStatus: 3)
/// ```
public struct DeliveryFailure: Sendable, Hashable {
    /// What went wrong, as one line of text.
    public var error: String
    /// The exit status of the command that failed, if it exited.
    public var exitStatus: Int?
    /// The number of the signal that killed the command that failed, if one did.
    public var signal: Int?

    /// A failure described by `error`, with how a command ended if it was one.
    public init(_ error: String, exitStatus: Int? = nil, signal: Int? = nil) {
        self.error = error
        self.exitStatus = exitStatus
        self.signal = signal
    }

    /// The failure a thrown error stands for: its description (a `DQError`'s message,
    /// a `WorkRejection`'s reason).
    ///
    /// For example:
    ///
    /// ```swift
    /// let failure = DeliveryFailure(thrown: error)
    /// ```
    public init(thrown error: any Error) {
        switch error {
        case WorkRejection.deadLetter(let reason), WorkRejection.drop(let reason): self.init(reason)
        default: self.init(String(describing: error))
        }
    }
}
