import FoundationEssentials

/// A consumer group of a `Stream` (`Stream.group(_:from:)`): its subscribers share the
/// entries the group gets — each entry goes to one of them — as a queue's consumers share
/// messages: `get` takes, `receive(lease:)` leases with receipts to `ack`, `nack` or
/// `extend`, a dead subscriber's leases come back, and entries that fail
/// `maxAttempts` deliveries go to the group's dead letters.
///
/// The group's entries wait in a hidden queue of its own (`queue`), so every other group
/// and the stream's log are untouched by what this one does.
///
/// For example, a subscriber that acks each entry with its next receive:
///
/// ```swift
/// let billing = try store.stream("orders").group("billing")
/// var done: [StreamReceipt] = []
/// while let leased = try billing.receive(lease: .seconds(30), acking: done).first {
///     try bill(leased.entry.body)
///     done = [leased.receipt]
/// }
/// ```
public struct StreamGroup: Sendable {
    /// The stream the group reads.
    public let stream: Stream
    /// The group's name.
    public let name: String

    init(stream: Stream, name: String) {
        self.stream = stream
        self.name = name
    }

    /// The hidden queue holding the group's entries. The control characters keep it apart
    /// from every queue a user can name.
    var queue: Queue {
        Queue(store: stream.store, name: Self.bellChannel(ofStream: stream.name) + "\u{1}" + name)
    }

    /// The wake-up channel every group of `stream` shares (`Doorbells`): a publish rings
    /// it once for all of them.
    package static func bellChannel(ofStream stream: String) -> String {
        queuePrefix + stream
    }

    /// The stream's shared channel if `queue` is a group's queue, else `nil`.
    package static func bellChannel(ofQueue queue: String) -> String? {
        guard queue.hasPrefix(queuePrefix), let end = queue.lastIndex(of: "\u{1}"),
              queue.distance(from: queue.startIndex, to: end) >= queuePrefix.count else { return nil }
        return String(queue[..<end])
    }

    /// What every group queue's name begins with, before its stream's name.
    private static let queuePrefix = "\u{1}stream\u{1}"

    // MARK: Taking

    /// Takes up to `limit` entries for good (at-most-once: each counts as acked once
    /// returned), waiting up to `timeout` (`nil`: forever, `.zero`: not at all) for the first.
    ///
    /// For example:
    ///
    /// ```swift
    /// if let entry = try group.get(timeout: .seconds(5)).first { print(entry.sequence) }
    /// ```
    ///
    /// - Throws: `DQError` as `Queue.get(limit:timeout:interrupt:)`.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func get(limit: Int = 1, timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> [StreamEntry] {
        try queue.get(limit: limit, timeout: timeout, interrupt: interrupt).map(entry)
    }

    /// The async `get(limit:timeout:interrupt:)`: sleeps without holding a thread.
    ///
    /// For example:
    ///
    /// ```swift
    /// let entries = try await group.get(limit: 10, timeout: .seconds(5))
    /// ```
    ///
    /// - Throws: `DQError.Kind.cancelled` if the task is cancelled first; otherwise as
    ///   the blocking `get`.
    public func get(limit: Int = 1, timeout: Duration? = nil) async throws(DQError) -> [StreamEntry] {
        try await queue.get(limit: limit, timeout: timeout).map(entry)
    }

    /// Leases up to `limit` entries (at-least-once), first acking `acking` in the same
    /// transaction, waiting up to `timeout` for the first. Exactly as
    /// `Queue.receive(lease:limit:timeout:maxAttempts:acking:releaseOnExit:limits:interrupt:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// for leased in try group.receive(lease: .seconds(30), limit: 10) {
    ///     try group.ack(leased.receipt)
    /// }
    /// ```
    ///
    /// - Throws: `DQError.Kind.staleReceipt` or `.invalidArgument` for a receipt in
    ///   `acking` (another group's, or stale): then nothing was acked or leased;
    ///   otherwise as `Queue.receive`.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func receive(lease: Duration, limit: Int = 1, timeout: Duration? = nil,
                        maxAttempts: Int = Queue.defaultMaxAttempts, acking: [StreamReceipt] = [],
                        releaseOnExit: Bool = true, interrupt: WaitInterrupt? = nil) throws(DQError) -> [LeasedEntry] {
        let receipts = try ownReceipts(acking)
        do {
            return try queue.receive(lease: lease, limit: limit, timeout: timeout, maxAttempts: maxAttempts, acking: receipts,
                                     releaseOnExit: releaseOnExit, interrupt: interrupt).map(leased)
        } catch {
            throw streamError(error, acking)
        }
    }

    /// The async `receive(lease:limit:timeout:maxAttempts:acking:releaseOnExit:interrupt:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// let batch = try await group.receive(lease: .seconds(30), limit: 10)
    /// ```
    ///
    /// - Throws: `DQError.Kind.cancelled` if the task is cancelled first; otherwise as
    ///   the blocking `receive`.
    public func receive(lease: Duration, limit: Int = 1, timeout: Duration? = nil,
                        maxAttempts: Int = Queue.defaultMaxAttempts, acking: [StreamReceipt] = [],
                        releaseOnExit: Bool = true) async throws(DQError) -> [LeasedEntry] {
        let receipts = try ownReceipts(acking)
        do {
            return try await queue.receive(lease: lease, limit: limit, timeout: timeout, maxAttempts: maxAttempts,
                                           acking: receipts, releaseOnExit: releaseOnExit).map(leased)
        } catch {
            throw streamError(error, acking)
        }
    }

    /// Leased entries as they come, for `for try await`: each is leased for `lease`;
    /// settle it with `ack`, `nack` or `extend`. Ends when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// for try await leased in group.subscription(lease: .seconds(30)) {
    ///     try group.ack(leased.receipt)
    /// }
    /// ```
    public func subscription(lease: Duration = .seconds(30), maxAttempts: Int = Queue.defaultMaxAttempts) -> StreamSubscription {
        StreamSubscription(group: self, messages: LeasedMessages(queue: queue, lease: lease, maxAttempts: maxAttempts))
    }

    // MARK: Settling

    /// Removes a leased entry from the group for good: it was handled.
    ///
    /// For example:
    ///
    /// ```swift
    /// try group.ack(leased.receipt)
    /// ```
    ///
    /// - Throws: `DQError.Kind.staleReceipt` if it was delivered again since or already
    ///   settled; `.invalidArgument` for another group's receipt.
    public func ack(_ receipt: StreamReceipt) throws(DQError) {
        try settling(receipt) { receipt throws(DQError) in try queue.ack(receipt) }
    }

    /// Returns a leased entry to the group: deliverable again after `delay`, or a dead
    /// letter once it has had `maxAttempts` deliveries.
    ///
    /// For example:
    ///
    /// ```swift
    /// try group.nack(leased.receipt, delay: .seconds(10))
    /// ```
    ///
    /// - Throws: as `ack(_:)`.
    public func nack(_ receipt: StreamReceipt, delay: Duration = .zero, maxAttempts: Int = Queue.defaultMaxAttempts,
                     failure: DeliveryFailure? = nil) throws(DQError) {
        try settling(receipt) { receipt throws(DQError) in try queue.nack(receipt, delay: delay, maxAttempts: maxAttempts, failure: failure) }
    }

    /// Makes a lease end `lease` from now.
    ///
    /// For example:
    ///
    /// ```swift
    /// try group.extend(leased.receipt, by: .seconds(60))
    /// ```
    ///
    /// - Throws: as `ack(_:)`.
    public func extend(_ receipt: StreamReceipt, by lease: Duration) throws(DQError) {
        try settling(receipt) { receipt throws(DQError) in try queue.extend(receipt, by: lease) }
    }

    /// Returns a leased entry at once without counting the delivery as an attempt.
    ///
    /// For example:
    ///
    /// ```swift
    /// try group.release(leased.receipt)
    /// ```
    ///
    /// - Throws: as `ack(_:)`.
    public func release(_ receipt: StreamReceipt) throws(DQError) {
        try settling(receipt) { receipt throws(DQError) in try queue.release(receipt) }
    }

    // MARK: Dead letters

    /// The group's dead letters, oldest first, at most `limit`, with when and why each died.
    ///
    /// For example:
    ///
    /// ```swift
    /// for dead in try group.deadLetters() { print(dead.entry.sequence, dead.lastError ?? "") }
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be read.
    public func deadLetters(limit: Int = 1_000) throws(DQError) -> [DeadEntry] {
        try queue.deadLetters(limit: limit).map { dead in
            DeadEntry(entry: entry(dead.message), deadAt: dead.deadAt, lastError: dead.lastError)
        }
    }

    /// Puts every dead letter back in the group with no attempts counted; returns how many.
    ///
    /// For example:
    ///
    /// ```swift
    /// try group.retryDead()
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be written.
    @discardableResult
    public func retryDead() throws(DQError) -> Int {
        try queue.retryDead()
    }

    /// Deletes the group's dead letters; returns how many.
    ///
    /// For example:
    ///
    /// ```swift
    /// try group.purgeDead()
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be written.
    @discardableResult
    public func purgeDead() throws(DQError) -> Int {
        try queue.purgeDead()
    }

    /// Deletes every entry waiting for the group or leased in it (not its dead letters):
    /// the group skips them. Returns how many.
    ///
    /// For example:
    ///
    /// ```swift
    /// try group.purge()
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be written.
    @discardableResult
    public func purge() throws(DQError) -> Int {
        try queue.purge()
    }

    // MARK: Helpers

    private func entry(_ message: Message) -> StreamEntry {
        EntryEnvelope.entry(of: message, stream: stream.name)
    }

    func leased(_ leased: LeasedMessage) -> LeasedEntry {
        LeasedEntry(entry: entry(leased.message), receipt: StreamReceipt(group: name, receipt: leased.receipt),
                    leasedUntil: leased.leasedUntil)
    }

    private func own(_ receipt: StreamReceipt) throws(DQError) -> Receipt {
        guard receipt.group == name else {
            throw DQError(.invalidArgument, "receipt \(receipt) is from group \(receipt.group), not \(name)")
        }
        return receipt.receipt
    }

    /// Settles `receipt` on the group's queue with `settle`, saying a failure in the
    /// stream's terms.
    private func settling(_ receipt: StreamReceipt, _ settle: (Receipt) throws(DQError) -> Void) throws(DQError) {
        let own = try own(receipt)
        do { try settle(own) } catch { throw streamError(error, [receipt]) }
    }

    /// `error` from the group's queue, told as the stream's: a stale receipt named as it
    /// was given (`GROUP:…`), and a receipt another group handed out named by that group,
    /// not by its hidden queue. Other errors pass as they are.
    private func streamError(_ error: DQError, _ receipts: [StreamReceipt]) -> DQError {
        guard error.kind == .staleReceipt || error.kind == .invalidArgument,
              let receipt = receipts.first(where: { error.message.contains($0.receipt.description) }) else { return error }
        if error.kind == .staleReceipt {
            return DQError(.staleReceipt, "receipt \(receipt) is stale: the entry was settled, or its lease ran out and it was delivered again")
        }
        guard let owner = try? stream.store.engine.queue(ofReceipt: receipt.receipt), owner != queue.name else { return error }
        let parts = owner.split(separator: "\u{1}", omittingEmptySubsequences: false)
        let from = parts.count == 4 && parts[1] == "stream" ? "group \(parts[3]) of stream \(parts[2])"
                                                            : "queue \(owner.replacing("\u{1}", with: ":"))"
        return DQError(.invalidArgument, "receipt \(receipt) is from \(from), not group \(name) of stream \(stream.name)")
    }

    private func ownReceipts(_ receipts: [StreamReceipt]) throws(DQError) -> [Receipt] {
        var own: [Receipt] = []
        for receipt in receipts { own.append(try self.own(receipt)) }
        return own
    }
}

/// Leased entries of a group as an `AsyncSequence` (`StreamGroup.subscription(lease:maxAttempts:)`):
/// the group queue's `LeasedMessages`, each read as the entry it carries.
public struct StreamSubscription: AsyncSequence, Sendable {
    /// Each element is one leased delivery.
    public typealias Element = LeasedEntry
    public typealias Failure = DQError
    let group: StreamGroup
    let messages: LeasedMessages

    /// Leases the group's entries one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let group: StreamGroup
        var messages: LeasedMessages.AsyncIterator

        public typealias Failure = DQError

        /// Waits for and leases the next entry; `nil` once the task is cancelled.
        /// Throws `DQError` if the store fails.
        public mutating func next() async throws(DQError) -> LeasedEntry? {
            try await messages.next().map(group.leased)
        }
    }

    /// An iterator that leases the group's entries.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(group: group, messages: messages.makeAsyncIterator())
    }
}
