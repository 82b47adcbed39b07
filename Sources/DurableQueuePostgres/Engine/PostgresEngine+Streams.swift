import DurableQueue
import FoundationEssentials
import NIOCore
import PostgresNIO

/// Streams on PostgreSQL: `dq.streams` keeps each stream's last sequence,
/// `dq.stream_entries` its log, `dq.stream_groups` its groups. `dq.publish`,
/// `dq.publish_one` and `dq.open_group` hold the stream's row until commit, so a group made while entries
/// are published gets each of them once, copied either by the publish or by its creation.
extension PostgresEngine {
    func publish(_ entries: [OutgoingEntry], to stream: String, dedupWindow: Duration,
                 trim: StreamTrim?) throws(DQError) -> [PublishResult] {
        if entries.count == 1, let entry = entries.first {
            return [try publishOne(entry, to: stream, dedupWindow: dedupWindow, trim: trim)]
        }
        // A batch too large for one message to the server goes in slices, in one
        // transaction, as a put's does; the last slice trims.
        let slices = Self.slices(entries.map { OutgoingMessage($0.body) })
        let window = Timestamp.microseconds(dedupWindow)
        func query(_ slice: Range<Int>) -> PostgresQuery {
            let bodies = entries[slice].map { ByteBuffer(bytes: $0.body) }
            let keys = entries[slice].map { $0.key ?? "" }
            let last = slice.upperBound == entries.count
            let maxLength = last ? trim?.maxLength.map(Int64.init) : nil
            let maxAge = last ? trim?.maxAge.map(Timestamp.microseconds) : nil
            return "SELECT r_seq, r_duplicate FROM dq.publish(\(stream), \(bodies), \(keys), \(window), \(maxLength), \(maxAge))"
        }
        let retrying = keysCatchRetries(entries.map(\.key), within: dedupWindow)
        let rows: [PostgresRow]
        if slices.count == 1 {
            // Prepared, as a batch small enough for one message to the server is.
            rows = try publishRows(PreparedCall("SELECT r_seq, r_duplicate FROM dq.publish($1, $2, $3, $4, $5, $6)",
                                              .text(stream), .bytesArray(entries.map(\.body)),
                                              .textArray(entries.map { $0.key ?? "" }), .int8(window),
                                              .int8(trim?.maxLength.map(Int64.init)), .int8(trim?.maxAge.map(Timestamp.microseconds))),
                                 stream: stream, retrying: retrying)
        } else {
            rows = try session(retrying: retrying) { session throws(PostgresFailure) -> [PostgresRow] in
                try session.run("BEGIN")
                do throws(PostgresFailure) {
                    var rows: [PostgresRow] = []
                    for slice in slices { rows += try session.rows(query(slice)) }
                    try session.run("COMMIT")
                    return rows
                } catch {
                    _ = try? session.run("ROLLBACK")
                    throw error
                }
            }
        }
        return try rows.map { row throws(DQError) in
            let (sequence, duplicate) = try Self.decode(row, as: (Int64, Bool).self)
            return PublishResult(sequence: sequence, duplicate: duplicate)
        }
    }

    /// A publish of one entry, through `dq.publish_one` (most publishes are: S1's are).
    private func publishOne(_ entry: OutgoingEntry, to stream: String, dedupWindow: Duration,
                            trim: StreamTrim?) throws(DQError) -> PublishResult {
        // dq.publish takes an empty key for none, so an empty key is none here too.
        let key = entry.key.flatMap { $0.isEmpty ? nil : $0 }
        let call = PreparedCall("SELECT dq.publish_one($1, $2, $3, $4, $5, $6)",
                                .text(stream), .bytes(entry.body), .text(key), .int8(Timestamp.microseconds(dedupWindow)),
                                .int8(trim?.maxLength.map(Int64.init)), .int8(trim?.maxAge.map(Timestamp.microseconds)))
        guard let row = try publishRows(call, stream: stream, retrying: keysCatchRetries([key], within: dedupWindow)).first,
              let signed = try Self.decode(row, as: Int64?.self) else {
            throw DQError(.internalError, "no sequence from dq.publish_one")
        }
        return PublishResult(sequence: abs(signed), duplicate: signed < 0)
    }

    /// Whether a publish of entries with `keys` may run again after a lost connection:
    /// only if every entry has a key and the dedup window outlasts the retries, so that
    /// the second run finds them all published.
    private func keysCatchRetries(_ keys: [String?], within window: Duration) -> Bool {
        keys.allSatisfy { $0?.isEmpty == false } && window > pool.busyTimeout + .seconds(1)
    }

    /// The rows of one publish, whose copies to the stream's groups are puts (`rowsRingingHere`).
    private func publishRows(_ statement: some SessionStatement, stream: String, retrying: Bool) throws(DQError) -> [PostgresRow] {
        try rowsRingingHere(statement, retrying: retrying) { _ throws(DQError) in keeper.ringHere(groupsOf: stream) }
    }

    func openGroup(_ group: String, queue: String, on stream: String, from start: StreamStart) throws(DQError) -> StreamGroupRecord {
        let found = try rows("SELECT start_seq, created_at FROM dq.stream_groups WHERE stream = \(stream) AND grp = \(group)")
        let row: PostgresRow
        if let existing = found.first {
            row = existing
        } else {
            let first: Int64? = switch start {
            case .first: 1
            case .last: nil
            case .sequence(let sequence): sequence
            }
            guard let made = try rows("SELECT r_start, r_created_at FROM dq.open_group(\(stream), \(group), \(queue), \(first))").first else {
                throw DQError(.internalError, "making group \(group) returned nothing")
            }
            row = made
        }
        let (startSequence, createdAt) = try Self.decode(row, as: (Int64, Date).self)
        return StreamGroupRecord(name: group, queue: queue, startSequence: startSequence,
                                 createdAt: Timestamp.microseconds(of: createdAt))
    }

    func streamEntries(_ stream: String, from sequence: Int64, limit: Int) throws(DQError) -> [StreamEntry] {
        try rows("""
            SELECT seq, published_at, body FROM dq.stream_entries WHERE stream = \(stream) AND seq >= \(sequence)
            ORDER BY seq LIMIT \(Int64(limit))
            """).map { row throws(DQError) in
            let (sequence, publishedAt, body) = try Self.decode(row, as: (Int64, Date, Data).self)
            return StreamEntry(stream: stream, sequence: sequence, publishedAt: publishedAt, body: body, attempt: 0)
        }
    }

    func streamRecord(_ stream: String) throws(DQError) -> StreamRecord? {
        guard let row = try rows("""
            SELECT s.last_seq, (SELECT e.seq FROM dq.stream_entries e WHERE e.stream = s.name ORDER BY e.seq LIMIT 1)
            FROM dq.streams s WHERE s.name = \(stream)
            """).first else { return nil }
        let (last, first) = try Self.decode(row, as: (Int64, Int64?).self)
        let groups = try rows("""
            SELECT grp, queue, start_seq, created_at FROM dq.stream_groups WHERE stream = \(stream) ORDER BY grp COLLATE "C"
            """).map { row throws(DQError) in
            let (name, queue, start, createdAt) = try Self.decode(row, as: (String, String, Int64, Date).self)
            return StreamGroupRecord(name: name, queue: queue, startSequence: start, createdAt: Timestamp.microseconds(of: createdAt))
        }
        return StreamRecord(lastSequence: last, firstSequence: first, length: first.map { Int(last - $0 + 1) } ?? 0, groups: groups)
    }

    func streamNames() throws(DQError) -> [String] {
        try rows("SELECT name FROM dq.streams ORDER BY name COLLATE \"C\"").map { row throws(DQError) in
            try Self.decode(row, as: String.self)
        }
    }

    func trim(_ stream: String, _ trim: StreamTrim) throws(DQError) -> Int {
        let maxLength = trim.maxLength.map(Int64.init)
        let maxAge = trim.maxAge.map(Timestamp.microseconds)
        return try scalar("""
            SELECT dq.trim_stream(s.name, s.last_seq, \(maxLength), \(maxAge), \(trim.through))
            FROM dq.streams s WHERE s.name = \(stream)
            """, as: Int.self) ?? 0
    }

    func removeGroup(_ group: String, on stream: String) throws(DQError) -> Bool {
        try scalar("SELECT dq.remove_group(\(stream), \(group))", as: Bool.self, retrying: false) ?? false
    }

    func removeStream(_ stream: String) throws(DQError) -> Int {
        try scalar("SELECT dq.remove_stream(\(stream))", as: Int.self, retrying: false) ?? 0
    }
}
