import FoundationEssentials
import Synchronization

/// Names one leased delivery of a message: `ack`, `nack` and `extend` need it, and it
/// stops working once the message is delivered again, so a consumer whose lease ran
/// out cannot settle the next delivery. Written as `POSITION-ID-TOKEN` (`dq get --lease
/// --json` prints it as `"receipt"`): where the message is stored, its id, and the
/// delivery's token in hex.
///
/// A receipt can cross process boundaries as text: print it in one process, parse it
/// in another, and settle the delivery there.
///
/// For example:
///
/// ```swift
/// let text = leased.receipt.description          // "1712…-1796…-9f2c…"
/// if let receipt = Receipt(text) { try queue.ack(receipt) }
/// ```
public struct Receipt: Hashable, Sendable, LosslessStringConvertible {
    /// The message's row in `messages` (its lane and place there).
    package let position: Int64
    /// The leased message's id (`Message.id`).
    public let id: Int64
    package let token: Int64

    package init(position: Int64, id: Int64, token: Int64) {
        self.position = position
        self.id = id
        self.token = token
    }

    /// Parses a receipt written as `POSITION-ID-TOKEN` (its `description`); `nil` if
    /// `description` is not in that form. Whether it is still current is only known
    /// when it is used.
    ///
    /// For example:
    ///
    /// ```swift
    /// let receipt = Receipt("1099511627776-1796203312701451000-9f2c")
    /// ```
    public init?(_ description: String) {
        let parts = description.split(separator: "-")
        guard parts.count == 3, let position = Int64(parts[0]), position > 0, let id = Int64(parts[1]),
              let token = Int64(parts[2], radix: 16), token > 0 else {
            return nil
        }
        self.init(position: position, id: id, token: token)
    }

    /// The receipt as `POSITION-ID-TOKEN`, which `init?(_:)` reads back.
    public var description: String { "\(position)-\(id)-\(String(token, radix: 16))" }

    /// A new delivery's token: random and positive; its lowest bit says whether the
    /// message holds a dedup key (which an ack must then release).
    static func token(hasKey: Bool) -> Int64 {
        let random = Int64(bitPattern: tokens.withLock { $0.next() }) & .max & ~1
        return hasKey ? random | 1 : max(random, 2)
    }

    /// Tokens need to differ between deliveries, not to be secret (anyone who can
    /// read the store can settle anything), so they come from a generator seeded once
    /// per process rather than a `getrandom` system call per delivery.
    private static let tokens = Mutex(SplitMix64(seed: UInt64.random(in: .min ... .max)))

    var hasKey: Bool { token & 1 == 1 }
}

extension DQError {
    /// The error for a receipt that no longer names a current delivery.
    static func stale(_ receipt: Receipt) -> DQError {
        DQError(.staleReceipt, "receipt \(receipt) is stale: message \(receipt.id) was settled or delivered again")
    }

    /// The error for a receipt `queue` cannot settle because `owner`, another queue,
    /// handed it out: `.invalidArgument`, naming the right queue.
    static func receipt(_ receipt: Receipt, of owner: String, not queue: String) -> DQError {
        DQError(.invalidArgument, "receipt \(receipt) is from queue \(owner), not \(queue)")
    }
}

extension Queue {
    /// The error for a receipt this queue did not settle: `.invalidArgument` naming the
    /// right queue when another queue handed it out, else `.staleReceipt`.
    func unsettled(_ receipt: Receipt) -> DQError {
        if let owner = try? store.engine.queue(ofReceipt: receipt), owner != name {
            return DQError.receipt(receipt, of: owner, not: name)
        }
        return DQError.stale(receipt)
    }
}

/// A message delivered under a lease: hidden from other consumers until `leasedUntil`,
/// then delivered again unless acked.
///
/// For example:
///
/// ```swift
/// for leased in try queue.receive(lease: .seconds(30), limit: 10) {
///     try handle(leased.message)
///     try queue.ack(leased.receipt)
/// }
/// ```
public struct LeasedMessage: Sendable, Hashable {
    /// The message delivered; `message.attempt` counts this delivery.
    public let message: Message
    /// Names this delivery for `Queue.ack(_:)`, `Queue.nack(_:delay:maxAttempts:)`,
    /// `Queue.extend(_:by:)` and `Queue.release(_:)`.
    public let receipt: Receipt
    /// When the lease runs out and the message becomes deliverable again, unless
    /// settled or extended first.
    public let leasedUntil: Date

    package init(message: Message, receipt: Receipt, leasedUntil: Date) {
        self.message = message
        self.receipt = receipt
        self.leasedUntil = leasedUntil
    }
}

extension Queue {
    /// Deliveries a message gets before a failure sends it to the dead letters, unless
    /// the call says otherwise.
    public static let defaultMaxAttempts = 5

    /// Takes up to `limit` messages under a lease of `lease` (at-least-once delivery),
    /// waiting up to `timeout` for the first one like `get`. Settle each with `ack`,
    /// `nack` or `extend`; if the lease runs out first, the message is delivered again.
    ///
    /// A message that already had `maxAttempts` deliveries is moved to the dead letters
    /// instead of being delivered again.
    ///
    /// A consumer that handles one message after another can pass the receipts of the
    /// ones it finished as `acking`: they are acked in the same transaction that leases
    /// the next (one commit per message instead of two), and that transaction commits
    /// at once even if it has to wait for the next message afterwards.
    ///
    /// For example:
    ///
    /// ```swift
    /// var done: [Receipt] = []
    /// while let leased = try queue.receive(lease: .seconds(30), acking: done).first {
    ///     try handle(leased.message)
    ///     done = [leased.receipt]
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - lease: how long each message stays hidden unless settled or extended.
    ///   - limit: the most messages to lease, in one transaction.
    ///   - timeout: how long to wait for the first (`nil`: forever; `.zero`: not at all).
    ///   - maxAttempts: deliveries after which a returning message is a dead letter.
    ///   - acking: receipts of deliveries to ack first, in the same transaction.
    ///   - releaseOnExit: the lease also ends, promptly, when this process exits or
    ///     closes the store (the kernel tells), so a crashed consumer's messages do not
    ///     wait out the lease. Pass `false` when another process will settle the message
    ///     (the `dq` command line does).
    ///   - limits: a running limit and a rate shared by every consumer of the queue that
    ///     gives them (`WorkLimits`); `nil` for none.
    ///   - interrupt: signalling it ends the wait early (returning none).
    /// - Returns: 1…`limit` leased messages, or none on timeout or interrupt.
    /// - Throws: `DQError.Kind.staleReceipt` if a receipt in `acking` is stale, or
    ///   `.invalidArgument` if another queue handed it out; then nothing was acked and
    ///   nothing leased. `.invalidArgument` if `limit` or
    ///   `maxAttempts` is less than 1 or `lease` is not positive; `.diskFull`,
    ///   `.permissionDenied`, … if the store cannot be written; `.timedOut` (another
    ///   writer held the lock past the busy timeout).
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func receive(lease: Duration, limit: Int = 1, timeout: Duration? = nil,
                        maxAttempts: Int = Queue.defaultMaxAttempts, acking: [Receipt] = [],
                        releaseOnExit: Bool = true, limits: WorkLimits? = nil,
                        interrupt: WaitInterrupt? = nil) throws(DQError) -> [LeasedMessage] {
        try Self.validate(lease: lease, limit: limit, maxAttempts: maxAttempts)
        try limits?.validate()
        return try store.engine.receive(from: name, lease: lease, limit: limit, timeout: timeout, maxAttempts: maxAttempts,
                                        acking: acking, releaseOnExit: releaseOnExit,
                                        limits: limits?.isEmpty == false ? limits : nil, interrupt: interrupt)
    }

    static func validate(lease: Duration, limit: Int, maxAttempts: Int) throws(DQError) {
        guard limit > 0 else { throw DQError(.invalidArgument, "the number of messages must be at least 1") }
        guard lease > .zero else { throw DQError(.invalidArgument, "the lease must be longer than zero") }
        guard maxAttempts > 0 else { throw DQError(.invalidArgument, "max attempts must be at least 1") }
    }

    /// Removes a leased message for good: it was handled.
    ///
    /// Committed before this returns; the message's dedup key, if any, is free again.
    ///
    /// For example:
    ///
    /// ```swift
    /// try queue.ack(leased.receipt)
    /// ```
    ///
    /// - Throws: `DQError.Kind.staleReceipt` if the message was delivered again since
    ///   (its lease ran out) or was already settled.
    public func ack(_ receipt: Receipt) throws(DQError) {
        if !(try store.engine.ack(receipt, on: name)) { throw unsettled(receipt) }
    }

    /// Hands a leased message back: deliverable again after `delay` (at once by
    /// default), or moved to the dead letters if it has had `maxAttempts` deliveries;
    /// a dead letter keeps `failure` as the reason it died (`DeadLetter.lastError`).
    ///
    /// For example, retry a failed job in ten seconds:
    ///
    /// ```swift
    /// try queue.nack(leased.receipt, delay: .seconds(10), failure: DeliveryFailure("upstream answered 503"))
    /// ```
    ///
    /// - Throws: `DQError.Kind.staleReceipt` as for `ack`; `.invalidArgument` for a
    ///   negative `delay`.
    public func nack(_ receipt: Receipt, delay: Duration = .zero, maxAttempts: Int = Queue.defaultMaxAttempts,
                     failure: DeliveryFailure? = nil) throws(DQError) {
        guard delay >= .zero else { throw DQError(.invalidArgument, "delay must not be negative") }
        if !(try store.engine.nack(receipt, on: name, delay: delay, maxAttempts: maxAttempts, failure: failure)) {
            throw unsettled(receipt)
        }
    }

    /// Makes the lease end `lease` from now (workers call it while a job runs).
    ///
    /// The new end may be earlier than the old one; the receipt stays the same.
    ///
    /// For example:
    ///
    /// ```swift
    /// try queue.extend(leased.receipt, by: .seconds(60))
    /// ```
    ///
    /// - Throws: `DQError.Kind.staleReceipt` as for `ack`; `.invalidArgument` if
    ///   `lease` is not positive.
    public func extend(_ receipt: Receipt, by lease: Duration) throws(DQError) {
        guard lease > .zero else { throw DQError(.invalidArgument, "the lease must be longer than zero") }
        if !(try store.engine.extend(receipt, on: name, by: lease)) { throw unsettled(receipt) }
    }

    /// Hands a leased message back at once without counting the delivery as an attempt
    /// (its handler was stopped from outside, for example at shutdown).
    ///
    /// For example:
    ///
    /// ```swift
    /// try queue.release(leased.receipt)
    /// ```
    ///
    /// - Throws: `DQError.Kind.staleReceipt` as for `ack`.
    public func release(_ receipt: Receipt) throws(DQError) {
        if !(try store.engine.release(receipt, on: name)) { throw unsettled(receipt) }
    }



    // MARK: Dead letters

    /// Messages that failed `maxAttempts` deliveries (or were rejected), oldest first,
    /// with when and why they died. `attempt` is the number of deliveries they had.
    ///
    /// For example:
    ///
    /// ```swift
    /// for dead in try queue.deadLetters(limit: 20) { print(dead.id, dead.attempt, dead.lastError ?? "") }
    /// ```
    ///
    /// - Parameter limit: the most messages to return.
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func deadLetters(limit: Int = 1_000) throws(DQError) -> [DeadLetter] {
        try store.engine.deadLetters(of: name, limit: limit)
    }

    /// Puts every dead letter back in the queue with no attempts counted.
    ///
    /// One transaction; waiting readers are woken.
    ///
    /// For example, after fixing the bug that made them fail:
    ///
    /// ```swift
    /// let retried = try queue.retryDead()
    /// ```
    ///
    /// - Returns: how many came back.
    /// - Throws: `DQError` (`.diskFull`, `.timedOut`, …); nothing moved then.
    @discardableResult
    public func retryDead() throws(DQError) -> Int {
        try store.engine.retryDead(of: name)
    }

    /// Deletes the queue's dead letters.
    ///
    /// For example:
    ///
    /// ```swift
    /// let deleted = try queue.purgeDead()
    /// ```
    ///
    /// - Returns: how many were deleted.
    /// - Throws: `DQError` (`.permissionDenied`, `.timedOut`, …); nothing was deleted then.
    @discardableResult
    public func purgeDead() throws(DQError) -> Int {
        try store.engine.purgeDead(of: name)
    }
}
