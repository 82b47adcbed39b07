import FoundationEssentials

/// A stream's numbers (`Stream.status()`).
public struct StreamStatus: Sendable, Hashable {
    /// The stream's name.
    public let name: String
    /// The sequence of the newest entry ever published; 0 if none was.
    public let lastSequence: Int64
    /// The sequence of the oldest entry the log still holds; `nil` if it holds none.
    public let firstSequence: Int64?
    /// How many entries the log holds.
    public let length: Int
    /// The stream's groups, by name.
    public let groups: [String]
}

/// Where one consumer group is (`Stream.groups()`, `dq groups`).
public struct StreamGroupStatus: Sendable, Hashable {
    /// The group's name.
    public let name: String
    /// When the group was created.
    public let createdAt: Date
    /// The group has been handed every entry up to this sequence (0: none yet): the
    /// entry before the next one waiting for it.
    public let delivered: Int64
    /// Entries leased to its subscribers and not yet settled.
    public let pending: Int
    /// Entries waiting for a subscriber (never delivered, nacked, or back after a lease
    /// ran out).
    public let lag: Int
    /// Entries in its dead letters.
    public let dead: Int
}

/// A stream as an engine keeps it (`StoreEngine.streamRecord(_:)`).
package struct StreamRecord: Sendable {
    package let lastSequence: Int64
    package let firstSequence: Int64?
    package let length: Int
    package let groups: [StreamGroupRecord]

    package init(lastSequence: Int64, firstSequence: Int64?, length: Int, groups: [StreamGroupRecord]) {
        self.lastSequence = lastSequence
        self.firstSequence = firstSequence
        self.length = length
        self.groups = groups
    }
}

/// A consumer group as an engine keeps it: its hidden queue, the first sequence it
/// was given, when it was made (µs since the epoch).
package struct StreamGroupRecord: Sendable {
    package let name: String
    package let queue: String
    package let startSequence: Int64
    package let createdAt: Int64

    package init(name: String, queue: String, startSequence: Int64, createdAt: Int64) {
        self.name = name
        self.queue = queue
        self.startSequence = startSequence
        self.createdAt = createdAt
    }
}
