import FoundationEssentials

/// A named stream: an append-only log in a `Store` that every consumer group reads
/// whole, each at its own pace (fan-out), where a queue hands each message to one
/// consumer. `Sendable`; cheap to create.
///
/// Publishing appends entries numbered 1, 2, 3, … and, in the same transaction, hands
/// a copy to every group of the stream; a group's subscribers share its entries as a
/// queue's consumers share messages (leases, receipts, dead letters), and each group
/// keeps its own until it acks them, whatever trimming does to the log.
///
/// For example, two services reading one stream:
///
/// ```swift
/// let orders = try store.stream("orders")
/// let billing = try orders.group("billing")      // created at first use
/// let mail = try orders.group("mail")
/// try orders.publish("order 17 paid")
/// let bill = try billing.get(timeout: .seconds(1))   // "order 17 paid"
/// let note = try mail.get(timeout: .seconds(1))      // "order 17 paid" as well
/// ```
public struct Stream: Sendable {
    /// The store that holds the stream.
    public let store: Store
    /// The stream's name, as given to `Store.stream(_:)`.
    public let name: String

    /// How long a publish's dedup key is remembered, unless the call says otherwise.
    public static let defaultDedupWindow: Duration = .seconds(300)

    init(store: Store, name: String) {
        self.store = store
        self.name = name
    }

    // MARK: Publishing

    /// Appends one entry and commits it before returning; every group of the stream gets it.
    ///
    /// For example:
    ///
    /// ```swift
    /// let sequence = try stream.publish(Data([1, 2, 3])).sequence
    /// ```
    ///
    /// - Returns: the entry's sequence number; with a `key` published within the last
    ///   five minutes (`defaultDedupWindow`) by an entry the log still holds (trimming
    ///   forgets keys), that entry's and `duplicate == true`.
    /// - Throws: `DQError` `.invalidArgument` for an over-size body or a bad key;
    ///   `.diskFull`, `.permissionDenied`, `.timedOut`, … when nothing was stored.
    @discardableResult
    public func publish(_ body: Data, key: String? = nil) throws(DQError) -> PublishResult {
        try Queue.validate(body: body, key: key)
        return try store.engine.publish(OutgoingEntry(body, key: key), to: name, dedupWindow: Self.defaultDedupWindow)
    }

    /// Appends `text` as UTF-8. See `publish(_:key:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// try stream.publish("user 7 signed up")
    /// ```
    ///
    /// - Throws: as `publish(_:key:)`.
    @discardableResult
    public func publish(_ text: String, key: String? = nil) throws(DQError) -> PublishResult {
        try publish(Data(text.utf8), key: key)
    }

    /// Appends a batch in one transaction (all or none), then trims the log as `trim`
    /// says, in the same transaction (`acked` trims in a second one).
    ///
    /// For example, keeping the newest 10,000 entries as it goes:
    ///
    /// ```swift
    /// try stream.publish(contentsOf: [OutgoingEntry("a"), OutgoingEntry("b")],
    ///                    trim: StreamTrim(maxLength: 10_000))
    /// ```
    ///
    /// - Parameters:
    ///   - entries: the batch, numbered in this order.
    ///   - dedupWindow: how far back a key is looked for.
    ///   - trim: what to drop from the log afterwards; `nil` for nothing.
    /// - Returns: one result per entry, in the order given.
    /// - Throws: as `publish(_:key:)`.
    @discardableResult
    public func publish(contentsOf entries: [OutgoingEntry], dedupWindow: Duration = Stream.defaultDedupWindow,
                        trim: StreamTrim? = nil) throws(DQError) -> [PublishResult] {
        for entry in entries {
            try Queue.validate(body: entry.body, key: entry.key)
        }
        guard dedupWindow >= .zero else { throw DQError(.invalidArgument, "the dedup window must not be negative") }
        try trim?.validate()
        var inline = trim
        inline?.acked = false
        let results = try store.engine.publish(entries, to: name, dedupWindow: dedupWindow,
                                               trim: inline?.isEmpty == false ? inline : nil)
        if trim?.acked == true { try self.trim(StreamTrim(acked: true)) }
        return results
    }

    // MARK: Groups

    /// The consumer group `name` of this stream, created if it does not exist yet,
    /// starting at `start` (`.last`: only entries published from now on; `.first`: every
    /// entry the log still holds; `.sequence(n)`: from entry n on). An existing group
    /// keeps its place: `start` only applies to its creation.
    ///
    /// For example:
    ///
    /// ```swift
    /// let audit = try store.stream("orders").group("audit", from: .first)
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name; `.diskFull`, … if it
    ///   had to be created and could not be.
    public func group(_ name: String, from start: StreamStart = .last) throws(DQError) -> StreamGroup {
        try Names.validate(name, what: "group name")
        let group = StreamGroup(stream: self, name: name)
        _ = try store.engine.openGroup(name, queue: group.queue.name, on: self.name, from: start)
        return group
    }

    /// Every group of the stream with where it is: what it was handed, what it holds
    /// leased, what waits for it, its dead letters.
    ///
    /// For example:
    ///
    /// ```swift
    /// for group in try stream.groups() { print(group.name, group.lag) }
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be read.
    public func groups() throws(DQError) -> [StreamGroupStatus] {
        guard let record = try store.engine.streamRecord(name) else { return [] }
        let queues = record.groups.map { StreamGroup(stream: self, name: $0.name).queue }
        let counts = Dictionary(try store.engine.stats(ofQueues: queues.map(\.name)).map { ($0.name, $0) },
                                uniquingKeysWith: { first, _ in first })
        return try zip(record.groups, queues).map { group, queue throws(DQError) in
            let next = try store.engine.peek(queue.name, limit: 1).first.map { EntryEnvelope.entry(of: $0, stream: name).sequence }
            let stats = counts[queue.name]
            return StreamGroupStatus(name: group.name, createdAt: Timestamp.date(group.createdAt),
                                     delivered: max(group.startSequence - 1, (next ?? record.lastSequence + 1) - 1),
                                     pending: stats?.leased ?? 0, lag: (stats?.ready ?? 0) + (stats?.delayed ?? 0),
                                     dead: stats?.dead ?? 0)
        }
    }

    /// Deletes group `name`: it gets no more entries, and the entries it held (waiting,
    /// leased, dead) go. Returns whether it existed.
    ///
    /// For example:
    ///
    /// ```swift
    /// try stream.removeGroup("audit")
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be written.
    @discardableResult
    public func removeGroup(_ name: String) throws(DQError) -> Bool {
        try Names.validate(name, what: "group name")
        return try store.engine.removeGroup(name, on: self.name)
    }

    // MARK: Reading and trimming

    /// Up to `limit` entries from sequence `from` on, oldest first, as the log holds
    /// them; changes nothing (no group sees it).
    ///
    /// For example, replaying history:
    ///
    /// ```swift
    /// let history = try stream.read(from: 1, limit: 100)
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` if `limit` is less than 1.
    public func read(from sequence: Int64 = 1, limit: Int = 1_000) throws(DQError) -> [StreamEntry] {
        guard limit > 0 else { throw DQError(.invalidArgument, "the number of entries must be at least 1") }
        return try store.engine.streamEntries(name, from: max(sequence, 1), limit: limit)
    }

    /// The stream's numbers: its last sequence, the entries its log holds, its groups.
    ///
    /// For example:
    ///
    /// ```swift
    /// print(try stream.status().lastSequence)
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be read.
    public func status() throws(DQError) -> StreamStatus {
        let record = try store.engine.streamRecord(name)
        return StreamStatus(name: name, lastSequence: record?.lastSequence ?? 0,
                            firstSequence: record?.firstSequence, length: record?.length ?? 0,
                            groups: record?.groups.map(\.name) ?? [])
    }

    /// Drops entries from the log as `trim` says; returns how many. Groups keep the
    /// copies they have not acked.
    ///
    /// For example:
    ///
    /// ```swift
    /// let dropped = try stream.trim(StreamTrim(maxAge: .seconds(3_600)))
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a negative length or age.
    @discardableResult
    public func trim(_ trim: StreamTrim) throws(DQError) -> Int {
        try trim.validate()
        var trim = trim
        if trim.acked {
            trim.acked = false
            trim.through = try ackedThrough()
        }
        return trim.isEmpty ? 0 : try store.engine.trim(name, trim)
    }

    /// The last sequence that every group is done with: each group's oldest copy still
    /// held (waiting, delayed or leased), less one; or the stream's last sequence for a
    /// group holding none. `nil` with no groups.
    private func ackedThrough() throws(DQError) -> Int64? {
        guard let record = try store.engine.streamRecord(name), !record.groups.isEmpty else { return nil }
        var through = record.lastSequence
        for group in record.groups {
            let queue = StreamGroup(stream: self, name: group.name).queue.name
            if let oldest = try store.engine.messages(in: queue, states: Queue.liveStates, after: 0, limit: 1).first {
                let sequence = EntryEnvelope.unwrap(oldest.message.body)?.sequence ?? 0
                through = min(through, sequence - 1)
            }
        }
        return through
    }

    /// Deletes the stream: its log, its groups and every entry they hold. Returns how
    /// many log entries went.
    ///
    /// For example:
    ///
    /// ```swift
    /// try store.stream("orders").drop()
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be written.
    @discardableResult
    public func drop() throws(DQError) -> Int {
        try store.engine.removeStream(name)
    }
}

extension Store {
    /// The stream called `name` (1–200 bytes of UTF-8, no control characters). Nothing
    /// is written until something is published or a group is made.
    ///
    /// For example:
    ///
    /// ```swift
    /// let events = try store.stream("events")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name.
    public func stream(_ name: String) throws(DQError) -> Stream {
        try Names.validate(name, what: "stream name")
        return Stream(store: self, name: name)
    }

    /// The names of the streams the store knows (published to or given a group, and not
    /// dropped since), in byte order.
    ///
    /// For example:
    ///
    /// ```swift
    /// let names = try store.streams()
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be read.
    public func streams() throws(DQError) -> [String] {
        try engine.streamNames()
    }
}
