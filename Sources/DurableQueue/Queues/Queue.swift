import FoundationEssentials

/// A named FIFO queue in a `Store`. Cheap to create and `Sendable`: pass it to any
/// thread or task.
///
/// Messages come out highest priority first, and in commit order within a priority,
/// so one producer's messages arrive in the order it put them.
///
/// For example, a producer and a consumer (in the same or different processes):
///
/// ```swift
/// let jobs = try Store(path: "/tmp/jobs.db").queue("jobs")
/// try jobs.put("resize cat.png")
/// let next = try jobs.get(timeout: .seconds(5))?.text
/// ```
public struct Queue: Sendable {
    /// The store that holds the queue's messages.
    public let store: Store
    /// The queue's name, as given to `Store.queue(_:)`.
    public let name: String

    /// The largest body a message may have: 256 MiB.
    public static let maxBodyBytes = 256 * 1024 * 1024

    /// The longest dedup key, in UTF-8 bytes.
    public static let maxKeyBytes = 1024

    init(store: Store, name: String) {
        self.store = store
        self.name = name
    }

    /// Whether `name` is one of the hidden queues the library keeps for pipes and stream
    /// groups: their names begin with U+0001, which no name a user gives can hold.
    ///
    /// For example:
    ///
    /// ```swift
    /// let mine = try store.queues().filter { !Queue.isHidden($0.name) }
    /// ```
    public static func isHidden(_ name: String) -> Bool {
        name.hasPrefix("\u{1}")
    }

    // MARK: Putting

    /// Puts one message and commits it before returning.
    ///
    /// For example:
    ///
    /// ```swift
    /// let result = try queue.put(Data([0, 1, 2]), priority: 5, key: "order-17")
    /// ```
    ///
    /// - Returns: the new message's id; with a `key` already held by a message still in
    ///   the queue, that message's id and `duplicate == true` (nothing is added).
    /// - Throws: `DQError` `.invalidArgument` for an over-size body or bad key;
    ///   `.diskFull`, `.permissionDenied` (read-only), `.storeUnavailable` or
    ///   `.timedOut` (another writer held the lock past the busy timeout), in which case
    ///   nothing was stored.
    @discardableResult
    public func put(_ body: Data, priority: Int = 0, delay: Duration = .zero, key: String? = nil) throws(DQError) -> PutResult {
        try put(contentsOf: [OutgoingMessage(body, priority: priority, delay: delay, key: key)])[0]
    }

    /// Puts `text` as UTF-8 bytes. See `put(_:priority:delay:key:)`.
    ///
    /// For example, a message that becomes deliverable in a minute:
    ///
    /// ```swift
    /// try queue.put("send reminder", delay: .seconds(60))
    /// ```
    ///
    /// - Throws: `DQError` as for `put(_:priority:delay:key:)`.
    @discardableResult
    public func put(_ text: String, priority: Int = 0, delay: Duration = .zero, key: String? = nil) throws(DQError) -> PutResult {
        try put(Data(text.utf8), priority: priority, delay: delay, key: key)
    }

    /// Puts `value` encoded as JSON; read it back with `Message.decode(_:using:)`.
    ///
    /// For example, with `struct Job: Codable { var file: String }`:
    ///
    /// ```swift
    /// try queue.put(json: Job(file: "cat.png"), priority: 1)
    /// let job = try queue.get()?.decode(Job.self)
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` if `value` cannot be encoded; otherwise
    ///   as for `put(_:priority:delay:key:)`.
    @discardableResult
    public func put<T: Encodable>(json value: T, encoder: JSONEncoder = JSONEncoder(), priority: Int = 0, delay: Duration = .zero, key: String? = nil) throws(DQError) -> PutResult {
        let body: Data
        do { body = try encoder.encode(value) } catch { throw DQError(encoding: error, "the message") }
        return try put(body, priority: priority, delay: delay, key: key)
    }

    /// Puts a batch in one transaction: all of the messages are stored, or none.
    ///
    /// One commit for the whole batch, so this is far faster than a `put` per message.
    ///
    /// For example:
    ///
    /// ```swift
    /// let batch = ["a.png", "b.png", "c.png"].map { OutgoingMessage($0) }
    /// let results = try queue.put(contentsOf: batch)
    /// ```
    ///
    /// - Parameters:
    ///   - messages: the batch, stored in this order.
    ///   - progress: called with the number stored so far after every 10,000 messages
    ///     (before the commit), for a progress display of a large batch.
    /// - Returns: one result per message, in the order given.
    /// - Throws: `DQError` `.invalidArgument` if any message has an over-size body,
    ///   a negative delay or a bad key (nothing is stored); otherwise as for
    ///   `put(_:priority:delay:key:)`.
    @discardableResult
    public func put(contentsOf messages: [OutgoingMessage], progress: ((Int) -> Void)? = nil) throws(DQError) -> [PutResult] {
        for message in messages {
            try Self.validate(message)
        }
        return try store.engine.put(messages, on: name, progress: progress)
    }

    static func validate(_ message: OutgoingMessage) throws(DQError) {
        if message.delay < .zero {
            throw DQError(.invalidArgument, "delay must not be negative")
        }
        try validate(body: message.body, key: message.key)
    }

    /// Refuses an over-size body or a bad dedup key (a stream entry's too).
    static func validate(body: Data, key: String?) throws(DQError) {
        if body.count > maxBodyBytes {
            throw DQError(.invalidArgument, "message body is \(body.count) bytes; the limit is \(maxBodyBytes) (256 MiB)")
        }
        if let key {
            if key.isEmpty { throw DQError(.invalidArgument, "dedup key is empty") }
            if key.utf8.count > maxKeyBytes {
                throw DQError(.invalidArgument, "dedup key is \(key.utf8.count) bytes long; the limit is \(maxKeyBytes)")
            }
        }
    }

    // MARK: Getting

    /// Removes and returns the next message, waiting up to `timeout` for one to arrive
    /// (`nil`: wait as long as it takes; `.zero`: do not wait). The removal is committed
    /// before this returns: at-most-once delivery.
    ///
    /// For example:
    ///
    /// ```swift
    /// if let message = try queue.get(timeout: .seconds(5)) {
    ///     print(message.text ?? "")
    /// }
    /// ```
    ///
    /// - Returns: the message, or `nil` if none arrived in time.
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be written, `.timedOut` if another writer held the lock past the busy
    ///   timeout; nothing was removed then.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func get(timeout: Duration? = nil) throws(DQError) -> Message? {
        try get(limit: 1, timeout: timeout).first
    }

    /// Removes and returns up to `limit` messages in one transaction, waiting up to
    /// `timeout` for the first one (`nil`: forever; `.zero`: not at all).
    ///
    /// A waiting caller sleeps in the kernel on the queue's doorbell (inotify) and is
    /// woken within microseconds of another process's put; it uses no CPU meanwhile.
    ///
    /// For example, take whatever is there now, up to 100 messages:
    ///
    /// ```swift
    /// let batch = try queue.get(limit: 100, timeout: .zero)
    /// ```
    ///
    /// - Parameters:
    ///   - limit: the most messages to take, in one transaction.
    ///   - timeout: how long to wait for the first (`nil`: forever; `.zero`: not at all).
    ///   - interrupt: signalling it ends the wait early (returning none).
    /// - Returns: 1…`limit` messages in delivery order, or none on timeout or interrupt.
    /// - Throws: `DQError` `.invalidArgument` if `limit` is less than 1; otherwise as
    ///   for `get(timeout:)`.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func get(limit: Int, timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> [Message] {
        guard limit > 0 else { throw DQError(.invalidArgument, "the number of messages must be at least 1") }
        return try store.engine.get(from: name, limit: limit, timeout: timeout, interrupt: interrupt)
    }

    /// Async `get(timeout:)`: sleeps without holding a thread (the store's wait reactor
    /// wakes it), and ends at once when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// let message = try await queue.get(timeout: .seconds(5))
    /// ```
    ///
    /// - Throws: `DQError`; `.cancelled` if the task is cancelled while waiting (nothing
    ///   was taken then).
    public func get(timeout: Duration? = nil) async throws(DQError) -> Message? {
        try await get(limit: 1, timeout: timeout).first
    }

    /// Async `get(limit:timeout:interrupt:)`: sleeps without holding a thread, and ends
    /// at once when the task is cancelled. Its store reads and the removal run on the
    /// calling task (microseconds each).
    ///
    /// For example:
    ///
    /// ```swift
    /// let batch = try await queue.get(limit: 10)
    /// ```
    ///
    /// - Throws: `DQError`; `.cancelled` if the task is cancelled while waiting (nothing
    ///   was taken then).
    public func get(limit: Int, timeout: Duration? = nil) async throws(DQError) -> [Message] {
        guard limit > 0 else { throw DQError(.invalidArgument, "the number of messages must be at least 1") }
        return try await store.engine.get(from: name, limit: limit, timeout: timeout)
    }

    // MARK: Inspecting

    /// The next `limit` messages in delivery order, left in the queue.
    ///
    /// One read transaction; another process may take them at any moment after.
    ///
    /// For example:
    ///
    /// ```swift
    /// let upcoming = try queue.peek(limit: 10).map(\.id)
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` if `limit` is less than 1;
    ///   `.storeUnavailable`, `.permissionDenied`, … if the store cannot be read.
    public func peek(limit: Int = 1) throws(DQError) -> [Message] {
        guard limit > 0 else { throw DQError(.invalidArgument, "the number of messages must be at least 1") }
        return try store.engine.peek(name, limit: limit)
    }

    /// How many messages could be received now (ready, including delayed ones that are due).
    ///
    /// Messages under an unexpired lease, delayed ones not yet due and dead letters are
    /// not counted; `Store.stats()` has those.
    ///
    /// For example:
    ///
    /// ```swift
    /// let backlog = try queue.count()
    /// ```
    ///
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func count() throws(DQError) -> Int {
        try store.engine.count(name)
    }

    /// Deletes every ready, leased and delayed message of the queue.
    ///
    /// One transaction; dead letters are kept (see `purgeDead()`). Receipts of the
    /// deleted leases become stale.
    ///
    /// For example:
    ///
    /// ```swift
    /// let deleted = try queue.purge()
    /// ```
    ///
    /// - Returns: how many messages were deleted.
    /// - Throws: `DQError` (`.permissionDenied`, `.timedOut`, …); nothing was deleted then.
    @discardableResult
    public func purge() throws(DQError) -> Int {
        try store.engine.purge(name)
    }
}
