import FoundationEssentials

/// A message taken from (or peeked at in) a queue.
///
/// A value: it holds a copy of the stored message and does not change when the
/// stored one does.
///
/// For example:
///
/// ```swift
/// if let message = try queue.get(timeout: .zero) {
///     print(message.id, message.attempt, message.text ?? "<binary>")
/// }
/// ```
public struct Message: Sendable, Hashable {
    /// Unique within its queue, and increasing in commit order (see README, "Schema").
    public let id: Int64
    /// The name of the queue the message came from.
    public let queue: String
    /// The bytes exactly as they were put: may be empty, hold NUL bytes, or be any
    /// binary data.
    public let body: Data
    /// Higher priorities are delivered first.
    public let priority: Int
    /// When the message was put, to the microsecond.
    public let enqueuedAt: Date
    /// Which delivery this is: 1 the first time a message is handed out.
    public let attempt: Int
    /// Where the reply goes, for a request sent by `Queue.call(_:timeout:)`.
    package var replyTo: String?

    /// True for a request sent by `Queue.call(_:timeout:)` (`dq call`): its caller waits
    /// for a reply (`Queue.respond(lease:maxAttempts:timeout:handler:)`, `dq worker`).
    public var expectsReply: Bool { replyTo != nil }

    /// Makes a message value, for tests and fakes; the library makes the ones it
    /// delivers. Nothing is stored.
    ///
    /// For example:
    ///
    /// ```swift
    /// let fake = Message(id: 1, queue: "jobs", body: Data("x".utf8),
    ///                    priority: 0, enqueuedAt: Date(), attempt: 1)
    /// ```
    public init(id: Int64, queue: String, body: Data, priority: Int, enqueuedAt: Date, attempt: Int) {
        self.id = id
        self.queue = queue
        self.body = body
        self.priority = priority
        self.enqueuedAt = enqueuedAt
        self.attempt = attempt
    }

    /// The body as UTF-8 text, or `nil` if it is not valid UTF-8.
    ///
    /// For example:
    ///
    /// ```swift
    /// let text = message.text ?? ""
    /// ```
    public var text: String? { String(data: body, encoding: .utf8) }

    /// Decodes a body that was put as JSON (`Queue.put(json:encoder:priority:delay:key:)`).
    ///
    /// For example, with `struct Job: Codable { var file: String }`:
    ///
    /// ```swift
    /// let job = try message.decode(Job.self)
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidData` when the body is not JSON of a `T`.
    public func decode<T: Decodable>(_ type: T.Type, using decoder: JSONDecoder = JSONDecoder()) throws(DQError) -> T {
        do {
            return try decoder.decode(type, from: body)
        } catch {
            throw DQError(decoding: error, "message \(id) in queue \(queue)", as: type)
        }
    }
}

/// A message to put: its body and how it is delivered. `Queue.put(contentsOf:progress:)`
/// takes a batch of them.
///
/// For example:
///
/// ```swift
/// let urgent = OutgoingMessage("rebuild index", priority: 10, key: "rebuild")
/// try queue.put(contentsOf: [urgent, OutgoingMessage(Data([0xFF]))])
/// ```
public struct OutgoingMessage: Sendable, Hashable {
    /// The bytes to store, up to `Queue.maxBodyBytes`; may be empty or binary.
    public var body: Data
    /// Higher priorities are delivered first; equal priorities in commit order.
    public var priority: Int
    /// Not delivered before this much time has passed (zero: at once).
    public var delay: Duration
    /// Deduplication key: while a message with this key is in the queue (ready,
    /// delayed or leased: until it is acked, taken by a get, or dead), putting another
    /// adds nothing and returns the existing message's id.
    public var key: String?
    /// How long `key` stays taken: until the message is done (the default), or only
    /// until it is first delivered.
    public var uniqueUntil: UniqueUntil
    /// Where the reply goes, for a request (`Queue.call(_:timeout:)`).
    package var replyTo: String?

    /// A message with the bytes `body`; nothing is stored until it is put.
    ///
    /// For example:
    ///
    /// ```swift
    /// let later = OutgoingMessage(Data([1, 2, 3]), delay: .seconds(30))
    /// ```
    public init(_ body: Data, priority: Int = 0, delay: Duration = .zero, key: String? = nil,
                uniqueUntil: UniqueUntil = .done) {
        self.body = body
        self.priority = priority
        self.delay = delay
        self.key = key
        self.uniqueUntil = uniqueUntil
    }

    /// A message whose body is `text` as UTF-8 bytes.
    ///
    /// For example:
    ///
    /// ```swift
    /// let message = OutgoingMessage("resize cat.png", priority: 5)
    /// ```
    public init(_ text: String, priority: Int = 0, delay: Duration = .zero, key: String? = nil,
                uniqueUntil: UniqueUntil = .done) {
        self.init(Data(text.utf8), priority: priority, delay: delay, key: key, uniqueUntil: uniqueUntil)
    }
}

/// How long a message's dedup key (`OutgoingMessage.key`) keeps out others with it.
///
/// For example, a rebuild that may be asked for again while one runs:
///
/// ```swift
/// try queue.put(contentsOf: [OutgoingMessage("rebuild", key: "rebuild", uniqueUntil: .started)])
/// ```
public enum UniqueUntil: String, Sendable, Hashable, CaseIterable {
    /// Until the message is done: acked, taken by a get, or dead. A nack or an expired
    /// lease keeps the key taken, as the message is still to be done.
    case done
    /// Until the message is first delivered (leased or taken): one more may then be put
    /// while it runs.
    case started
}

/// What a `put` stored.
///
/// For example:
///
/// ```swift
/// let result = try queue.put("charge order 17", key: "order-17")
/// if result.duplicate { print("already queued as message \(result.id)") }
/// ```
public struct PutResult: Sendable, Hashable {
    /// The new message's id, or the existing one's when `duplicate` is true.
    public let id: Int64
    /// True when the dedup key matched a message still in the queue, so nothing was added.
    public let duplicate: Bool

    package init(id: Int64, duplicate: Bool) {
        self.id = id
        self.duplicate = duplicate
    }
}
