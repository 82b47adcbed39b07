import FoundationEssentials

/// How a handler's work on a leased message ended, for `Queue.settle(_:_:maxAttempts:backoff:)`.
public enum WorkOutcome: Sendable, Hashable {
    /// Handled: the message is acked.
    case done
    /// Failed: retried after a backoff that doubles per attempt, or a dead letter after
    /// `maxAttempts` deliveries.
    case failed
    /// Stopped from outside (shutdown) before it could finish: back to the queue at once,
    /// and the delivery does not count as an attempt.
    case stopped
    /// Rejected (`WorkRejection.deadLetter`): to the dead letters at once, whatever
    /// attempts it has left.
    case deadLetter
}

extension Queue {
    /// The longest pause before a retry.
    public static let maxRetryDelay: Duration = .seconds(300)

    /// The pause before retrying a message whose `attempt`-th delivery failed: `backoff`,
    /// doubled for every attempt before it, at most `maxRetryDelay`.
    ///
    /// For example, with a backoff of one second the retries come after 1 s, 2 s, 4 s, …
    ///
    /// ```swift
    /// let pause = Queue.retryDelay(afterAttempt: 3, backoff: .seconds(1))   // 4 s
    /// ```
    public static func retryDelay(afterAttempt attempt: Int, backoff: Duration) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        return min(backoff * (1 << exponent), maxRetryDelay)
    }

    /// Settles a leased message as its handler's `outcome` says: ack, nack after
    /// `retryDelay` (a dead letter after `maxAttempts` deliveries), release, or bury. A
    /// message that goes to the dead letters keeps `failure` as the reason. The one
    /// implementation `Queue.work` and `dq worker` share.
    ///
    /// For example:
    ///
    /// ```swift
    /// let settled = try queue.settle(leased, succeeded ? .done : .failed, maxAttempts: 5, backoff: .seconds(1),
    ///                                failure: succeeded ? nil : DeliveryFailure("exit status 3", exitStatus: 3))
    /// ```
    ///
    /// - Returns: `false` if the receipt was stale (the lease ran out while the handler
    ///   ran and the message went to another consumer), so this outcome could not be
    ///   recorded; it is also logged.
    /// - Throws: `DQError` if the store could not be written.
    @discardableResult
    public func settle(_ leased: LeasedMessage, _ outcome: WorkOutcome, maxAttempts: Int, backoff: Duration,
                       failure: DeliveryFailure? = nil) throws(DQError) -> Bool {
        do {
            switch outcome {
            case .done: try ack(leased.receipt)
            case .stopped: try release(leased.receipt)
            case .failed:
                try nack(leased.receipt, delay: Self.retryDelay(afterAttempt: leased.message.attempt, backoff: backoff),
                         maxAttempts: maxAttempts, failure: failure)
            case .deadLetter:
                // A nack buries a message that had `maxAttempts` deliveries; a leased one had at least one.
                try nack(leased.receipt, maxAttempts: 1, failure: failure)
            }
            return true
        } catch where error.kind == .staleReceipt {
            logLostLease(leased.receipt)
            return false
        }
    }

    func logLostLease(_ receipt: Receipt) {
        store.logger.warning("a lease ran out while its handler ran; the message was delivered again",
                             metadata: ["queue": "\(name)", "receipt": "\(receipt)"])
    }
}
