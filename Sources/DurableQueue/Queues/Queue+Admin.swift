import FoundationEssentials

extension Store {
    /// Every queue that holds messages (ready, delayed or leased) or dead letters, with
    /// its counts, sorted by name: `stats().queues`, without the rest of the stats.
    ///
    /// For example:
    ///
    /// ```swift
    /// for queue in try store.queues() { print(queue.name, queue.ready, queue.dead) }
    /// ```
    ///
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func queues() throws(DQError) -> [QueueStats] {
        try engine.stats().queues
    }
}

extension Queue {
    /// The states a message is in while the queue still holds it for delivery.
    public static let liveStates: Set<StoredMessage.State> = [.ready, .delayed, .leased]

    // MARK: The whole queue

    /// The queue's counts as `Store.stats()` gives them, reading this queue only (its
    /// cost does not depend on how many queues the store holds); `nil` when it holds no
    /// message and no dead letter.
    ///
    /// For example:
    ///
    /// ```swift
    /// if let counts = try queue.stats() { print(counts.ready, counts.leased, counts.dead) }
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be read.
    public func stats() throws(DQError) -> QueueStats? {
        try store.engine.stats(ofQueues: [name]).first
    }

    /// Deletes the queue entirely: ready, delayed and leased messages, dead letters and
    /// dedup keys. Afterwards `Store.queues()` and `Store.stats()` do not list it.
    ///
    /// One transaction; receipts of the deleted leases become stale.
    ///
    /// For example:
    ///
    /// ```swift
    /// let dropped = try queue.drop()
    /// ```
    ///
    /// - Returns: how many messages and dead letters were deleted.
    /// - Throws: `DQError` (`.permissionDenied`, `.timedOut`, …); nothing was deleted then.
    @discardableResult
    public func drop() throws(DQError) -> Int {
        try store.engine.drop(name)
    }

    /// Moves ready messages (or with `dead`, dead letters: a redrive) to `destination`,
    /// in one transaction.
    ///
    /// Ready messages go in delivery order, dead letters oldest first. Each is put anew
    /// on `destination`, with a new id and no attempts counted, keeping its body bytes,
    /// priority and dedup key (dead letters have none). A message whose key
    /// `destination` already holds is dropped: the message there stays as it is, and
    /// the drop is counted in `MoveResult.duplicates`. Delayed and leased messages stay.
    ///
    /// For example, send the failures back to the main queue once fixed:
    ///
    /// ```swift
    /// let result = try store.queue("jobs-failed").move(to: try store.queue("jobs"), dead: true)
    /// ```
    ///
    /// - Parameters:
    ///   - destination: a queue of the same store, not this one.
    ///   - limit: the most messages to move (`nil`: all).
    ///   - dead: move dead letters instead of ready messages.
    /// - Throws: `DQError` `.invalidArgument` if `destination` is this queue or of
    ///   another store, or `limit` is less than 1; otherwise as for `put`: nothing
    ///   moved then.
    @discardableResult
    public func move(to destination: Queue, limit: Int? = nil, dead: Bool = false) throws(DQError) -> MoveResult {
        guard destination.store === store else {
            throw DQError(.invalidArgument, "cannot move to queue \(destination.name) of another store")
        }
        guard destination.name != name else { throw DQError(.invalidArgument, "cannot move queue \(name) to itself") }
        if let limit, limit < 1 { throw DQError(.invalidArgument, "the number of messages must be at least 1") }
        return try store.engine.move(from: name, to: destination.name, limit: limit, dead: dead)
    }

    // MARK: One message

    /// The message `id`, in whatever state it is (ready, delayed, leased or dead).
    ///
    /// One read transaction; changes nothing.
    ///
    /// For example:
    ///
    /// ```swift
    /// if let stored = try queue.message(id: id), stored.state == .dead { try queue.retryDead(ids: [id]) }
    /// ```
    ///
    /// - Returns: the message and its state, or `nil` if the queue holds no message `id`.
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func message(id: Int64) throws(DQError) -> StoredMessage? {
        try store.engine.message(id, in: name)
    }

    /// Deletes the messages `ids`, whatever their state, in one transaction.
    ///
    /// A deleted lease's receipt becomes stale; a deleted message's dedup key is free.
    ///
    /// For example:
    ///
    /// ```swift
    /// let missing = Set(ids).subtracting(try queue.delete(ids: ids))
    /// ```
    ///
    /// - Returns: the ids found and deleted (each once); the others were not in the queue.
    /// - Throws: `DQError` (`.permissionDenied`, `.timedOut`, …); nothing was deleted then.
    @discardableResult
    public func delete(ids: [Int64]) throws(DQError) -> [Int64] {
        try store.engine.delete(ids, from: name)
    }

    /// Puts the dead letters `ids` back in the queue with no attempts counted, as
    /// `retryDead()` does for all of them; other dead letters stay.
    ///
    /// For example:
    ///
    /// ```swift
    /// let retried = try queue.retryDead(ids: [poison.id])
    /// ```
    ///
    /// - Returns: the ids found among the dead letters and put back.
    /// - Throws: `DQError` (`.diskFull`, `.timedOut`, …); nothing moved then.
    @discardableResult
    public func retryDead(ids: [Int64]) throws(DQError) -> [Int64] {
        try store.engine.retryDead(ids, of: name)
    }

    // MARK: Looking without taking

    /// Up to `limit` messages in `states`, with ids above `after`, in id order (the order
    /// they were put), each with its state, due time or lease end. Changes nothing.
    ///
    /// For example, the messages under a lease now:
    ///
    /// ```swift
    /// for stored in try queue.messages([.leased]) { print(stored.message.id, stored.leasedUntil!) }
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` if `limit` is less than 1;
    ///   `.storeUnavailable`, `.permissionDenied`, … if the store cannot be read.
    public func messages(_ states: Set<StoredMessage.State> = Queue.liveStates, after: Int64 = 0,
                         limit: Int = 1_000) throws(DQError) -> [StoredMessage] {
        guard limit > 0 else { throw DQError(.invalidArgument, "the number of messages must be at least 1") }
        return try store.engine.messages(in: name, states: states, after: after, limit: limit)
    }

    /// `messages(_:after:limit:)`, waiting up to `timeout` for at least one: a tail of
    /// the queue that takes nothing. Woken like a blocked `get` when a message is put.
    ///
    /// Pass the last id returned as `after` to see each message once, in the order put.
    /// A message taken by a consumer before this looks is not seen: it is a view of what
    /// the queue holds, not a log. Each look reads the queue's whole backlog (messages
    /// are not indexed by id), so a tail of a long queue costs more than a `get`.
    ///
    /// For example:
    ///
    /// ```swift
    /// var last: Int64 = 0
    /// while true {
    ///     for stored in try queue.follow(after: last) { print(stored.message.text ?? ""); last = stored.message.id }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - timeout: how long to wait for the first (`nil`: forever; `.zero`: not at all).
    ///   - interrupt: signalling it ends the wait early (returning none).
    /// - Returns: 1…`limit` messages, or none on timeout or interrupt.
    /// - Throws: as `messages(_:after:limit:)`.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func follow(_ states: Set<StoredMessage.State> = Queue.liveStates, after: Int64 = 0, limit: Int = 1_000,
                       timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> [StoredMessage] {
        guard limit > 0 else { throw DQError(.invalidArgument, "the number of messages must be at least 1") }
        return try store.engine.follow(name, states: states, after: after, limit: limit, timeout: timeout, interrupt: interrupt)
    }

    /// Async `follow(_:after:limit:timeout:interrupt:)`: sleeps without holding a thread.
    ///
    /// For example:
    ///
    /// ```swift
    /// let next = try await queue.follow(after: last, timeout: .seconds(5))
    /// ```
    ///
    /// - Throws: as the blocking one; `.cancelled` if the task is cancelled while waiting.
    public func follow(_ states: Set<StoredMessage.State> = Queue.liveStates, after: Int64 = 0, limit: Int = 1_000,
                       timeout: Duration? = nil) async throws(DQError) -> [StoredMessage] {
        guard limit > 0 else { throw DQError(.invalidArgument, "the number of messages must be at least 1") }
        return try await store.engine.follow(name, states: states, after: after, limit: limit, timeout: timeout)
    }
}
