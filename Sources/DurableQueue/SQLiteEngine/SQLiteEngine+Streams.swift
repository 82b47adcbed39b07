import FoundationEssentials
import DQSystem

/// Streams on SQLite: `streams` numbers each stream, `stream_entries` holds every
/// stream's log in one rowid table (entry `id << 36 | seq`: a stream's entries are a
/// range of rowids, so an append is one insert at its range's end), `stream_groups` the
/// groups. A publish numbers its entries, appends them and copies each to every group's
/// hidden queue (`MessageTable.Inserter`), in one write transaction; write transactions
/// take turns, so a group made meanwhile (which copies the log in its own) gets every
/// entry exactly once. The groups of a stream share one doorbell, rung once per publish.
/// A group whose subscriber is blocked in a seat (`StreamHandoffs`) gets no copy of the
/// first entry: it is handed to that subscriber, with its body if it fits the seat's slot.
extension SQLiteEngine {
    func publish(_ entries: [OutgoingEntry], to stream: String, dedupWindow: Duration,
                 trim: StreamTrim?) throws(DQError) -> [PublishResult] {
        try publishing(entries, to: stream, dedupWindow: dedupWindow, trim: trim, as: [PublishResult].self)
    }

    func publish(_ entry: OutgoingEntry, to stream: String, dedupWindow: Duration) throws(DQError) -> PublishResult {
        try publishing(CollectionOfOne(entry), to: stream, dedupWindow: dedupWindow, trim: nil, as: OnlyPublishResult.self).result
    }

    /// `publish(_:to:dedupWindow:trim:)` for any collection of entries, its results
    /// collected as `Results` says: one entry needs neither array.
    private func publishing<Entries: Collection<OutgoingEntry>, Results: PublishResults>(
        _ entries: Entries, to stream: String, dedupWindow: Duration, trim: StreamTrim?, as: Results.Type
    ) throws(DQError) -> Results {
        try refuseIfReadOnly("write")
        doorbells.prepareToRing()
        // Seats live in memory, which a power loss may take with what they were handed: a
        // publish that must survive one (`Durability.full`) copies to every group.
        let seats = options.durability == .full ? nil : handoffs.value
        // Every group of the stream shares its bell (`Doorbells.channel(of:)`): one ring wakes
        // them all. Named only when the stream has groups to copy to.
        var bell = ""
        var early: Doorbells.EarlyRing?
        var groupQueues: [String] = []
        var added = 0
        // Seats of blocked subscribers this publish hands its first entry to (`StreamHandoffs`),
        // with what it saw of their groups' queues if it wrote nothing else there. If the
        // transaction fails, or runs again, its subscribers settle the claims.
        var claims: [(ticket: StreamHandoffs.Ticket, quiet: StreamHandoffs.Quiet?)] = []
        let results = try writeSettlingSeats(of: stream) { connection, adoptions -> Results in
            early = nil
            groupQueues = []
            claims = []
            added = 0
            let now = Timestamp.now()
            let log = try StreamLog.known(stream, connection)
            var last = log.last
            var tableEnd = log.tableEnd
            var results = Results(expecting: entries.count)
            // What the groups get a copy of (or are handed), if the stream has any.
            var copies: [(sequence: Int64, body: Data)] = []
            let insert = try connection.cachedStatement(StreamSQL.insertEntry)
            for entry in entries {
                if let key = entry.key, let held = try log.sequence(holding: key, since: now - Timestamp.microseconds(dedupWindow)) {
                    results.append(PublishResult(sequence: held, duplicate: true))
                    continue
                }
                last += 1
                let rowid = try log.entry(last)
                // At the table's end, SQLite numbers the row itself (the largest rowid plus
                // one: this entry's) and appends it without searching the b-tree for it.
                let appending = tableEnd == rowid - 1
                try insert.bind(appending ? nil : rowid, at: 1)
                try insert.bind(now, at: 2)
                try insert.bind(entry.key, at: 3)
                try insert.bind(entry.body, at: 4)
                try insert.run()
                insert.reset()
                if appending && connection.lastInsertedRowid != rowid {
                    throw DQError(.internalError, "stream \(stream): entry \(last) was numbered \(connection.lastInsertedRowid)")
                }
                tableEnd = tableEnd.map { max($0, rowid) }
                if log.hasGroups { copies.append((last, entry.body)) }
                added += 1
                results.append(PublishResult(sequence: last, duplicate: false))
            }
            // Entries left in dead subscribers' seats go back before this publish hands or trims.
            let groups = log.hasGroups && (added > 0 || trim != nil) ? try Self.groups(of: stream, connection) : []
            if let adoptions, added > 0 || trim != nil { try putBackOrphans(of: log, groups: groups, adoptions, connection) }
            if !copies.isEmpty {
                if bell.isEmpty { bell = StreamGroup.bellChannel(ofStream: stream) }
                for group in groups {
                    // A group made `--from` a sequence not yet published starts there.
                    var due = copies.filter { $0.sequence >= group.startSequence }
                    if let first = due.first, let seats,
                       let (ticket, nextDue) = try handOff(try log.entry(first.sequence), body: first.body, to: group.queue,
                                                           seats: seats, connection, now: now) {
                        due.removeFirst()
                        // Read holding the write lock, so no commit the look missed is counted
                        // yet; the queue then counts this publish's commit too.
                        let quiet = due.isEmpty ? doorbells.writeCount(of: bell).map { StreamHandoffs.Quiet(writes: $0 &+ 1, due: nextDue) } : nil
                        claims.append((ticket, quiet))
                    }
                    groupQueues.append(group.queue)
                    try Self.copy(due, publishedAt: now, to: group.queue, now: now, connection)
                }
                // As a put does: a lone waiter wakes while the commit is written (not one
                // handed an entry, which it could not take before the commit).
                early = options.durability == .normal && claims.isEmpty ? doorbells.ringBeforeCommit(bell) : .none
            }
            if let trim { _ = try log.trim(trim, last: last, now: now, keeping: adoptions, seatsPath: handoffsPath) }
            log.remember(last: last, tableEnd: trim == nil ? tableEnd : nil)
            return results
        }
        // Counted before the seats are handed, so an occupant that reads a note sees the
        // count that goes with it.
        let counted = !claims.isEmpty
        if counted { doorbells.noteWrite(bell) }
        for claim in claims { seats?.hand(claim.ticket, quiet: claim.quiet) }
        claims = []
        if let early { doorbells.ringAfterCommit(bell, early: early, counted: counted) }
        for queue in groupQueues { traffic.added(added, to: queue) }
        return results
    }

    /// Runs `body` in a write transaction that first settles every seat's ended claim
    /// (`StreamHandoffs.settle`), so that no entry it writes can pass for a failed
    /// publish's; the seats `body` adopts (`putBackOrphans` of `stream`) are freed once it
    /// commits, and the stream's bell rung, or let go if it fails.
    private func writeSettlingSeats<T>(of stream: String, _ body: (Connection, SeatAdoptions?) throws -> T) throws(DQError) -> T {
        let adoptions = handoffs.value.map(SeatAdoptions.init)
        do {
            let result = try write { connection in
                adoptions?.letGo()
                if let seats = adoptions?.seats { try Self.settleClaims(seats, connection) }
                return try body(connection, adoptions)
            }
            if let adoptions, adoptions.returned() > 0 { doorbells.ring(StreamGroup.bellChannel(ofStream: stream)) }
            return result
        } catch {
            adoptions?.letGo()
            throw error
        }
    }

    /// Puts the entries of `log` that seats hold for subscribers that died before reading
    /// them back on their groups' queues, adopting each seat until the commit.
    private func putBackOrphans(of log: StreamLog, groups: [StreamGroupRecord], _ adoptions: SeatAdoptions,
                                _ connection: Connection) throws {
        for orphan in adoptions.seats.orphans(in: log.low...log.high) where adoptions.adopt(orphan) {
            guard let group = groups.first(where: { StreamHandoffs.group($0.queue) == orphan.group }),
                  let logged = try Self.loggedEntry(orphan.entry, connection), logged.publishedAt == orphan.stamp else { continue }
            try Self.copy([(orphan.entry & StreamLog.maxSequence, logged.body)], publishedAt: logged.publishedAt,
                          to: group.queue, now: Timestamp.now(), connection)
        }
    }

    /// Puts a copy of each of `entries` on a group's queue, in order, enqueued at `now`.
    private static func copy(_ entries: [(sequence: Int64, body: Data)], publishedAt: Int64, to queue: String,
                             now: Int64, _ connection: Connection) throws {
        guard !entries.isEmpty else { return }
        var inserter = MessageTable.Inserter(connection, queue: queue, now: now)
        for entry in entries {
            _ = try inserter.insert(OutgoingMessage(EntryEnvelope.wrap(sequence: entry.sequence, publishedAt: publishedAt,
                                                                       body: entry.body)))
        }
        try inserter.finish()
    }

    /// Claims the seat of a live subscriber blocked on `queue` (a group's) for `entry`
    /// (with its `body`), if the queue has nothing ready (which comes first), with when
    /// something there falls due (`nil`: nothing); `nil` if there is no such seat.
    private func handOff(_ entry: Int64, body: Data, to queue: String, seats: StreamHandoffs, _ connection: Connection,
                         now: Int64) throws -> (StreamHandoffs.Ticket, due: Int64?)? {
        let group = StreamHandoffs.group(queue)
        guard var seat = seats.candidate(group: group) else { return nil }
        guard case .nothingUntil(let due) = try MessageTable.look(connection, queue: queue, now: now) else { return nil }
        while true {
            if seats.isOccupied(seat) {
                if seats.claim(seat, entry: entry, stamp: now, body: body) { return (seat, due) }
            } else {
                seats.evict(seat)
            }
            guard let next = seats.candidate(group: group), next != seat else { return nil }
            seat = next
        }
    }

    func openGroup(_ group: String, queue: String, on stream: String, from start: StreamStart) throws(DQError) -> StreamGroupRecord {
        if let found = try read({ try Self.group(group, of: stream, $0) }) { return found }
        try refuseIfReadOnly("write")
        doorbells.prepareToRing()
        var copied = 0
        let record = try write { connection -> StreamGroupRecord in
            copied = 0
            if let found = try Self.group(group, of: stream, connection) { return found }
            let now = Timestamp.now()
            let log = try StreamLog.made(stream, connection)
            let first: Int64 = switch start {
            case .first: 1
            case .last: log.last + 1
            case .sequence(let sequence): sequence
            }
            let make = try connection.cachedStatement(StreamSQL.makeGroup)
            defer { make.reset() }
            try make.bind(stream, at: 1)
            try make.bind(group, at: 2)
            try make.bind(queue, at: 3)
            try make.bind(first, at: 4)
            try make.bind(now, at: 5)
            try make.run()
            var inserter = MessageTable.Inserter(connection, queue: queue, now: now)
            try log.entries(from: first, limit: Int64.max) { sequence, publishedAt, body in
                _ = try inserter.insert(OutgoingMessage(EntryEnvelope.wrap(sequence: sequence, publishedAt: publishedAt, body: body)))
                copied += 1
            }
            try inserter.finish()
            return StreamGroupRecord(name: group, queue: queue, startSequence: first, createdAt: now)
        }
        if copied > 0 {
            doorbells.ringAfterCommit(queue, early: .none)
            traffic.added(copied, to: queue)
        }
        return record
    }

    func streamEntries(_ stream: String, from sequence: Int64, limit: Int) throws(DQError) -> [StreamEntry] {
        try read { connection in
            guard let log = try StreamLog.open(stream, connection, creating: false) else { return [] }
            var entries: [StreamEntry] = []
            try log.entries(from: sequence, limit: Int64(limit)) { sequence, publishedAt, body in
                entries.append(StreamEntry(stream: stream, sequence: sequence, publishedAt: Timestamp.date(publishedAt),
                                           body: body, attempt: 0))
            }
            return entries
        }
    }

    func streamRecord(_ stream: String) throws(DQError) -> StreamRecord? {
        try read { connection -> StreamRecord? in
            guard let log = try StreamLog.open(stream, connection, creating: false) else { return nil }
            let oldest = try log.firstSequence()
            return StreamRecord(lastSequence: log.last, firstSequence: oldest, length: oldest.map { Int(log.last - $0 + 1) } ?? 0,
                                groups: try Self.groups(of: stream, connection))
        }
    }

    func streamNames() throws(DQError) -> [String] {
        try read { connection in
            let names = try connection.cachedStatement(StreamSQL.names)
            defer { names.reset() }
            var found: [String] = []
            while try names.step() { found.append(names.string(at: 0) ?? "") }
            return found
        }
    }

    func trim(_ stream: String, _ trim: StreamTrim) throws(DQError) -> Int {
        try refuseIfReadOnly("write")
        return try writeSettlingSeats(of: stream) { connection, adoptions -> Int in
            guard let log = try StreamLog.open(stream, connection, creating: false) else { return 0 }
            if let adoptions { try putBackOrphans(of: log, groups: try Self.groups(of: stream, connection), adoptions, connection) }
            return try log.trim(trim, last: log.last, now: Timestamp.now(), keeping: adoptions, seatsPath: handoffsPath)
        }
    }

    func removeGroup(_ group: String, on stream: String) throws(DQError) -> Bool {
        try refuseIfReadOnly("write")
        return try writeSettlingSeats(of: stream) { connection, adoptions -> Bool in
            guard let found = try Self.group(group, of: stream, connection) else { return false }
            // What the group's dead subscribers were handed goes with the group.
            if let adoptions, let log = try StreamLog.open(stream, connection, creating: false) {
                for orphan in adoptions.seats.orphans(in: log.low...log.high, of: StreamHandoffs.group(found.queue)) {
                    _ = adoptions.adopt(orphan)
                }
            }
            let remove = try connection.cachedStatement(StreamSQL.removeGroup)
            defer { remove.reset() }
            try remove.bind(stream, at: 1)
            try remove.bind(group, at: 2)
            try remove.run()
            _ = try MessageTable.drop(connection, queue: found.queue)
            return true
        }
    }

    func removeStream(_ stream: String) throws(DQError) -> Int {
        try refuseIfReadOnly("write")
        return try writeSettlingSeats(of: stream) { connection, adoptions -> Int in
            guard let log = try StreamLog.open(stream, connection, creating: false) else { return 0 }
            // What its groups' dead subscribers were handed goes with the stream.
            for orphan in adoptions?.seats.orphans(in: log.low...log.high) ?? [] { _ = adoptions?.adopt(orphan) }
            let removed = try log.delete(through: StreamLog.maxSequence)
            for group in try Self.groups(of: stream, connection) { _ = try MessageTable.drop(connection, queue: group.queue) }
            for sql in [StreamSQL.removeGroups, StreamSQL.removeStream] {
                let remove = try connection.cachedStatement(sql)
                defer { remove.reset() }
                try remove.bind(stream, at: 1)
                try remove.run()
            }
            return removed
        }
    }

    // MARK: Groups

    private static func groups(of stream: String, _ connection: Connection) throws -> [StreamGroupRecord] {
        let list = try connection.cachedStatement(StreamSQL.groups)
        defer { list.reset() }
        try list.bind(stream, at: 1)
        var groups: [StreamGroupRecord] = []
        while try list.step() { groups.append(group(list)) }
        return groups
    }

    private static func group(_ name: String, of stream: String, _ connection: Connection) throws -> StreamGroupRecord? {
        let find = try connection.cachedStatement(StreamSQL.group)
        defer { find.reset() }
        try find.bind(stream, at: 1)
        try find.bind(name, at: 2)
        return try find.step() ? group(find) : nil
    }

    private static func group(_ row: Statement) -> StreamGroupRecord {
        StreamGroupRecord(name: row.string(at: 0) ?? "", queue: row.string(at: 1) ?? "", startSequence: row.int64(at: 2),
                          createdAt: row.int64(at: 3))
    }
}

/// One stream's log within a transaction: its range of rows in `stream_entries` and its
/// last sequence (the newest entry's, or the one `streams` recorded when trimming
/// emptied the log).
struct StreamLog {
    let connection: Connection
    let stream: String
    let id: Int64
    let last: Int64
    /// Whether the stream had groups when the log was opened (in the same transaction).
    let hasGroups: Bool
    /// The largest rowid in `stream_entries` (any stream's) when the log was opened, if
    /// known; 0 for an empty table.
    let tableEnd: Int64?

    /// Sequences are the low 36 bits of an entry's rowid; stream numbers the bits above.
    static let sequenceBits: Int64 = 36
    static let maxSequence: Int64 = (1 << sequenceBits) - 1
    var low: Int64 { id << Self.sequenceBits }
    var high: Int64 { low | Self.maxSequence }

    /// The log of `stream`; `nil` if the stream has no row and `creating` is false.
    static func open(_ stream: String, _ connection: Connection, creating: Bool) throws -> StreamLog? {
        let find = try connection.cachedStatement(StreamSQL.find)
        defer { find.reset() }
        try find.bind(stream, at: 1)
        var id: Int64
        var recorded: Int64
        if try find.step() {
            id = find.int64(at: 0)
            recorded = find.int64(at: 1)
            if !find.isNull(at: 2) { recorded = max(recorded, find.int64(at: 2) & maxSequence) }
            return StreamLog(connection: connection, stream: stream, id: id, last: recorded, hasGroups: find.int64(at: 3) != 0,
                             tableEnd: find.int64(at: 4))
        } else {
            guard creating else { return nil }
            let make = try connection.cachedStatement(StreamSQL.make)
            defer { make.reset() }
            try make.bind(stream, at: 1)
            guard try make.step() else { throw DQError(.internalError, "making stream \(stream) returned nothing") }
            id = make.int64(at: 0)
            recorded = 0
            guard id < 1 << (63 - sequenceBits) else { throw DQError(.invalidArgument, "too many streams in this store") }
            return StreamLog(connection: connection, stream: stream, id: id, last: recorded, hasGroups: false,
                             tableEnd: try connection.scalarInt(StreamSQL.tableEnd) ?? 0)
        }
    }

    /// The log of `stream`, its row made if absent.
    static func made(_ stream: String, _ connection: Connection) throws -> StreamLog {
        guard let log: StreamLog = try open(stream, connection, creating: true) else {
            throw DQError(.internalError, "stream \(stream) has no row")
        }
        return log
    }

    /// `made`, unless this connection's last commit was a publish to `stream` and the
    /// store has not changed since (`KnownStreamLog`): then the log as that publish left
    /// it, without reading it back.
    static func known(_ stream: String, _ connection: Connection) throws -> StreamLog {
        let known = connection.attachment { KnownStreamLog() }
        if let log = known.log, known.stream == stream, connection.isUnchanged(sinceWrite: known.write) {
            return StreamLog(connection: connection, stream: stream, id: log.id, last: log.last, hasGroups: log.hasGroups,
                             tableEnd: log.tableEnd)
        }
        return try made(stream, connection)
    }

    /// Remembers that this transaction leaves the log ending at `last` and the table at
    /// `tableEnd`, so the next publish on this connection need not read them back
    /// (`known`: only once this transaction committed, and while nothing changed since).
    func remember(last: Int64, tableEnd: Int64?) {
        let known = connection.attachment { KnownStreamLog() }
        known.stream = stream
        known.log = KnownStreamLog.Log(id: id, last: last, hasGroups: hasGroups, tableEnd: tableEnd)
        known.write = connection.writeNumber
    }

    /// The rowid of entry `sequence`.
    func entry(_ sequence: Int64) throws -> Int64 {
        guard sequence <= Self.maxSequence else { throw DQError(.invalidArgument, "the stream has used every sequence number") }
        return low | sequence
    }

    func sequence(holding key: String, since: Int64) throws -> Int64? {
        let find = try connection.cachedStatement(StreamSQL.keyHolder)
        defer { find.reset() }
        try find.bind(key, at: 1)
        try find.bind(low, at: 2)
        try find.bind(high, at: 3)
        try find.bind(since, at: 4)
        return try find.step() ? find.int64(at: 0) & Self.maxSequence : nil
    }

    func firstSequence() throws -> Int64? {
        let first = try connection.cachedStatement(StreamSQL.oldest)
        defer { first.reset() }
        try first.bind(low, at: 1)
        try first.bind(high, at: 2)
        return try first.step() ? first.int64(at: 0) & Self.maxSequence : nil
    }

    /// Calls `body` with up to `limit` entries from `sequence` on, oldest first.
    func entries(from sequence: Int64, limit: Int64, _ body: (Int64, Int64, Data) throws -> Void) throws {
        let list = try connection.cachedStatement(StreamSQL.entriesFrom)
        defer { list.reset() }
        try list.bind(low | min(max(sequence, 0), Self.maxSequence), at: 1)
        try list.bind(high, at: 2)
        try list.bind(limit, at: 3)
        while try list.step() { try body(list.int64(at: 0) & Self.maxSequence, list.int64(at: 1), list.data(at: 2)) }
    }

    /// Deletes the prefix of the log that `trim` drops, short of any entry handed to a
    /// subscriber that has not read it yet (`seats`; nothing at all if this process could
    /// not map the seats at `seatsPath` that others may use); returns how many entries went.
    func trim(_ trim: StreamTrim, last: Int64, now: Int64, keeping seats: SeatAdoptions?, seatsPath: String) throws -> Int {
        if seats == nil && FileSystem.exists(seatsPath) { return 0 }
        var cut: Int64 = 0
        if let maxLength = trim.maxLength { cut = max(cut, last - Int64(maxLength)) }
        if let through = trim.through { cut = max(cut, through) }
        if let maxAge = trim.maxAge {
            let young = try connection.cachedStatement(StreamSQL.firstSince)
            defer { young.reset() }
            try young.bind(low, at: 1)
            try young.bind(high, at: 2)
            try young.bind(now - Timestamp.microseconds(maxAge), at: 3)
            cut = max(cut, try young.step() ? (young.int64(at: 0) & Self.maxSequence) - 1 : last)
        }
        if cut > 0, let handed = seats?.oldestHeld(in: low...high) { cut = min(cut, (handed & Self.maxSequence) - 1) }
        guard cut > 0 else { return 0 }
        if cut >= last {
            // The log empties: `streams` keeps the last sequence, so numbers go on from it.
            let save = try connection.cachedStatement(StreamSQL.saveLast)
            defer { save.reset() }
            try save.bind(id, at: 1)
            try save.bind(last, at: 2)
            try save.run()
        }
        return try delete(through: min(cut, Self.maxSequence))
    }

    /// Deletes entries up to `sequence`; returns how many.
    func delete(through sequence: Int64) throws -> Int {
        let remove = try connection.cachedStatement(StreamSQL.removeThrough)
        defer { remove.reset() }
        try remove.bind(low, at: 1)
        try remove.bind(low | sequence, at: 2)
        try remove.run()
        return connection.changes
    }
}

/// The stream log a connection's last publish left, valid once that publish's write
/// transaction (`write`) committed and while nothing changed the store since
/// (`Connection.isUnchanged(sinceWrite:)`): any other commit, by this connection or
/// another process, ends it. Saves a publish the read of `StreamSQL.find` when one
/// process publishes one entry after another to a stream (as `KnownTails` saves a put
/// its reads).
final class KnownStreamLog {
    struct Log {
        let id: Int64
        let last: Int64
        let hasGroups: Bool
        let tableEnd: Int64?
    }
    // Per connection, so used by one thread at a time (see `Connection`).
    @exclusivity(unchecked) var write: UInt64 = 0
    @exclusivity(unchecked) var stream: String?
    @exclusivity(unchecked) var log: Log?
}

enum StreamSQL {
    // A publish's statements are found by slot, not by hashing their text (`PreparedSQL`).
    /// The stream's number, recorded last sequence, newest entry, whether it has groups,
    /// and the table's largest rowid: all a publish reads, in one statement.
    static let find = PreparedSQL("""
        SELECT s.id, s.last_seq,
               (SELECT e.entry FROM stream_entries e WHERE e.entry BETWEEN s.id << 36 AND (s.id << 36) | 68719476735
                ORDER BY e.entry DESC LIMIT 1),
               EXISTS (SELECT 1 FROM stream_groups g WHERE g.stream = s.name),
               (SELECT coalesce(max(entry), 0) FROM stream_entries)
        FROM streams s WHERE s.name = ?1
        """)
    static let tableEnd = "SELECT coalesce(max(entry), 0) FROM stream_entries"
    static let make = "INSERT INTO streams (name, id, last_seq) SELECT ?1, coalesce(max(id), 0) + 1, 0 FROM streams RETURNING id"
    static let saveLast = "UPDATE streams SET last_seq = ?2 WHERE id = ?1"
    static let oldest = "SELECT entry FROM stream_entries WHERE entry BETWEEN ?1 AND ?2 ORDER BY entry LIMIT 1"
    static let insertEntry = PreparedSQL("INSERT INTO stream_entries (entry, published_at, dedup_key, body) VALUES (?1, ?2, ?3, ?4)")
    static let keyHolder = """
        SELECT entry FROM stream_entries WHERE dedup_key = ?1 AND entry BETWEEN ?2 AND ?3 AND published_at >= ?4
        ORDER BY entry DESC LIMIT 1
        """
    static let entry = "SELECT published_at, body FROM stream_entries WHERE entry = ?1"
    static let entriesFrom = "SELECT entry, published_at, body FROM stream_entries WHERE entry BETWEEN ?1 AND ?2 ORDER BY entry LIMIT ?3"
    static let firstSince = """
        SELECT entry FROM stream_entries WHERE entry BETWEEN ?1 AND ?2 AND published_at >= ?3 ORDER BY entry LIMIT 1
        """
    static let removeThrough = "DELETE FROM stream_entries WHERE entry BETWEEN ?1 AND ?2"
    static let groups = PreparedSQL("SELECT grp, queue, start_seq, created_at FROM stream_groups WHERE stream = ?1 ORDER BY grp")
    static let group = "SELECT grp, queue, start_seq, created_at FROM stream_groups WHERE stream = ?1 AND grp = ?2"
    static let makeGroup = "INSERT INTO stream_groups (stream, grp, queue, start_seq, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"
    static let names = "SELECT name FROM streams ORDER BY name"
    static let removeGroup = "DELETE FROM stream_groups WHERE stream = ?1 AND grp = ?2"
    static let removeGroups = "DELETE FROM stream_groups WHERE stream = ?1"
    static let removeStream = "DELETE FROM streams WHERE name = ?1"
}
