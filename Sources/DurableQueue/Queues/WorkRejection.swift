/// Thrown by a `Queue.work` handler to settle its message at once instead of having it
/// retried: moved to the dead letters, or dropped. Either is logged with its reason.
///
/// For example:
///
/// ```swift
/// try await jobs.work { message in
///     guard let job = try? message.decode(Job.self) else {
///         throw WorkRejection.deadLetter(reason: "not a Job")   // no retry would help
///     }
///     if job.isObsolete { throw WorkRejection.drop(reason: "obsolete") }
///     try await run(job)
/// }
/// ```
public enum WorkRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Moves the message to the dead letters now, whatever attempts it has left
    /// (`Queue.retryDead()` brings it back).
    case deadLetter(reason: String)
    /// Removes the message as if it had been handled (an ack): not worth retrying or keeping.
    case drop(reason: String)

    /// The rejection and its reason, as logged: `dead letter: REASON` or `drop: REASON`.
    public var description: String {
        switch self {
        case .deadLetter(let reason): "dead letter: \(reason)"
        case .drop(let reason): "drop: \(reason)"
        }
    }
}
