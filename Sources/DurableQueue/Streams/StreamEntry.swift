import FoundationEssentials

/// One entry of a stream: read with `Stream.read(from:limit:)` or delivered to a group.
///
/// For example:
///
/// ```swift
/// for entry in try store.stream("orders").read(from: 1, limit: 10) {
///     print(entry.sequence, entry.text ?? "<binary>")
/// }
/// ```
public struct StreamEntry: Sendable, Hashable {
    /// The stream the entry was published on.
    public let stream: String
    /// The entry's place in its stream: 1 for the first entry ever published, then one
    /// more for each entry, in commit order (never reused, even after trimming).
    public let sequence: Int64
    /// When it was published, to the microsecond.
    public let publishedAt: Date
    /// The bytes exactly as they were published.
    public let body: Data
    /// Which delivery this is within a group (1 the first time); 0 for entries read
    /// with `Stream.read(from:limit:)`, which delivers nothing.
    public let attempt: Int

    /// Makes an entry value, for tests and fakes; the library makes the ones it
    /// delivers. Nothing is stored.
    ///
    /// For example:
    ///
    /// ```swift
    /// let fake = StreamEntry(stream: "orders", sequence: 1, publishedAt: Date(), body: Data("x".utf8), attempt: 1)
    /// ```
    public init(stream: String, sequence: Int64, publishedAt: Date, body: Data, attempt: Int) {
        self.stream = stream
        self.sequence = sequence
        self.publishedAt = publishedAt
        self.body = body
        self.attempt = attempt
    }

    /// The body as UTF-8 text, or `nil` if it is not valid UTF-8.
    ///
    /// For example:
    ///
    /// ```swift
    /// let text = entry.text ?? ""
    /// ```
    public var text: String? { String(data: body, encoding: .utf8) }
}

/// An entry to publish, for `Stream.publish(contentsOf:dedupWindow:trim:)`.
///
/// For example:
///
/// ```swift
/// let batch = [OutgoingEntry("created 17", key: "order-17"), OutgoingEntry("created 18")]
/// ```
public struct OutgoingEntry: Sendable, Hashable {
    /// The entry's bytes; may be empty or binary.
    public var body: Data
    /// A dedup key: publishing a key that an entry published within the dedup window
    /// holds adds nothing and reports that entry's sequence.
    public var key: String?

    /// An entry with `body` and an optional dedup `key`.
    ///
    /// For example:
    ///
    /// ```swift
    /// let entry = OutgoingEntry(Data([0, 1]), key: "event-9")
    /// ```
    public init(_ body: Data, key: String? = nil) {
        self.body = body
        self.key = key
    }

    /// An entry whose body is `text` as UTF-8.
    ///
    /// For example:
    ///
    /// ```swift
    /// let entry = OutgoingEntry("user 7 signed up")
    /// ```
    public init(_ text: String, key: String? = nil) {
        self.init(Data(text.utf8), key: key)
    }
}

/// What a publish did with one entry.
///
/// For example:
///
/// ```swift
/// let result = try stream.publish("paid", key: "order-17")
/// if result.duplicate { print("already published as", result.sequence) }
/// ```
public struct PublishResult: Sendable, Hashable {
    /// The entry's sequence number; for a duplicate, that of the entry holding the key.
    public let sequence: Int64
    /// True if the key was held within the dedup window and nothing was added.
    public let duplicate: Bool

    package init(sequence: Int64, duplicate: Bool) {
        self.sequence = sequence
        self.duplicate = duplicate
    }
}

/// Where a new consumer group starts (`Stream.group(_:from:)`, `dq subscribe --from`).
public enum StreamStart: Sendable, Hashable {
    /// Every entry the stream still holds, then every later one.
    case first
    /// Only entries published after the group is created (the default).
    case last
    /// Entries from this sequence number on (those the stream still holds), then every later one.
    case sequence(Int64)

    /// Reads `first`, `last` or a sequence number, as `dq subscribe --from` takes them;
    /// `nil` for anything else.
    ///
    /// For example:
    ///
    /// ```swift
    /// let start = StreamStart(parsing: "first")   // .first
    /// ```
    public init?(parsing text: String) {
        switch text {
        case "first": self = .first
        case "last": self = .last
        default:
            guard let number = Int64(text), number >= 1 else { return nil }
            self = .sequence(number)
        }
    }
}

/// What trimming drops from a stream's log (`Stream.trim(_:)`, `dq trim`): entries
/// beyond the newest `maxLength`, entries older than `maxAge`, and with `acked`, entries
/// that every group is done with. Several at once drop what any of them drops.
///
/// Trimming bounds the log that `read` replays and that new groups start from; it never
/// takes an entry from a group (each group holds its own copy until it acks it).
///
/// For example:
///
/// ```swift
/// try stream.trim(StreamTrim(maxLength: 10_000))
/// ```
public struct StreamTrim: Sendable, Hashable {
    /// Keep at most this many of the newest entries.
    public var maxLength: Int?
    /// Drop entries published longer ago than this.
    public var maxAge: Duration?
    /// Drop the entries that every group has acked (or that went to its dead letters),
    /// and with no groups, none.
    public var acked: Bool
    /// Drop entries up to this sequence (what `acked` works out).
    package var through: Int64?

    /// A trim by length, age, acks, or any of them.
    ///
    /// For example:
    ///
    /// ```swift
    /// let trim = StreamTrim(maxAge: .seconds(86_400))
    /// ```
    public init(maxLength: Int? = nil, maxAge: Duration? = nil, acked: Bool = false) {
        self.maxLength = maxLength
        self.maxAge = maxAge
        self.acked = acked
    }

    var isEmpty: Bool { maxLength == nil && maxAge == nil && !acked && through == nil }

    func validate() throws(DQError) {
        if let maxLength, maxLength < 0 { throw DQError(.invalidArgument, "max length must not be negative") }
        if let maxAge, maxAge < .zero { throw DQError(.invalidArgument, "max age must not be negative") }
    }
}

/// How a group's hidden queue carries an entry: a 16-byte header (sequence number, then
/// the publish time in µs, both big-endian) before the body. Engines write it when they
/// copy an entry to a group; the library reads it back.
package enum EntryEnvelope {
    package static let headerBytes = 16

    /// The copy of entry `sequence` published at `publishedAt` (µs since the epoch).
    package static func wrap(sequence: Int64, publishedAt: Int64, body: Data) -> Data {
        var data = Data(capacity: headerBytes + body.count)
        withUnsafeBytes(of: sequence.bigEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: publishedAt.bigEndian) { data.append(contentsOf: $0) }
        data.append(body)
        return data
    }

    /// The sequence, publish time (µs) and body of a copy; `nil` for a body too short to be one.
    package static func unwrap(_ data: Data) -> (sequence: Int64, publishedAt: Int64, body: Data)? {
        guard data.count >= headerBytes else { return nil }
        var sequence: Int64 = 0
        var publishedAt: Int64 = 0
        let start = data.startIndex
        for byte in data[start ..< start + 8] { sequence = sequence << 8 | Int64(byte) }
        for byte in data[start + 8 ..< start + 16] { publishedAt = publishedAt << 8 | Int64(byte) }
        return (sequence, publishedAt, Data(data[(start + 16)...]))
    }

    /// The entry a group's queue delivered in `message`; a message that is no copy
    /// (put on the hidden queue by hand) reads as sequence 0 with its body whole.
    static func entry(of message: Message, stream: String) -> StreamEntry {
        guard let (sequence, publishedAt, body) = unwrap(message.body) else {
            return StreamEntry(stream: stream, sequence: 0, publishedAt: message.enqueuedAt, body: message.body,
                               attempt: message.attempt)
        }
        return StreamEntry(stream: stream, sequence: sequence, publishedAt: Timestamp.date(publishedAt), body: body,
                           attempt: message.attempt)
    }
}
