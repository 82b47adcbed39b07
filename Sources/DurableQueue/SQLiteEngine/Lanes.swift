import Synchronization

/// A lane: the messages of one queue at one priority, kept in `messages` under a
/// range of positions of their own (`first...last`), in delivery order. A put appends
/// at the end of its lane's range, so it is one append to one rowid b-tree, as cheap
/// as any SQLite insert; a get reads the first rows of the range.
///
/// The `lanes` table maps lane numbers to queues. A lane exists while it holds
/// messages: a drained lane's row is deleted (see `DrainedLanes`), and its number may
/// then go to another lane. A lane whose range fills up (2^39 puts without ever
/// draining) is followed by a new one for the same queue and priority, a generation
/// later.
struct Lane: Hashable, Sendable {
    /// Bits of a position that number messages within a lane; the bits above are the lane.
    static let sequenceBits = 39
    /// Lane numbers are 1..<`numberLimit`, so every position fits in a positive Int64.
    static let numberLimit: Int64 = 1 << (63 - sequenceBits)

    let number: Int64
    let priority: Int
    let generation: Int64

    /// The lane's first position.
    var first: Int64 { number << Self.sequenceBits }
    /// The lane's last position.
    var last: Int64 { first | ((1 << Self.sequenceBits) - 1) }

    /// The number of the lane that `position` belongs to.
    static func number(of position: Int64) -> Int64 { position >> sequenceBits }

    /// SQL for the positions of the lane numbered `number` (an SQL expression), as
    /// `position BETWEEN` takes them: `messages` joined to `lanes` on it is one rowid
    /// range per lane.
    static func positions(of number: String) -> String {
        "\(number) << \(sequenceBits) AND ((\(number) + 1) << \(sequenceBits)) - 1"
    }
}

/// Finding, opening and deleting lanes. Every function runs inside its caller's
/// transaction.
enum Lanes {
    static let allSQL = PreparedSQL("SELECT lane, priority, generation FROM lanes WHERE queue = ?1 ORDER BY priority DESC, generation")

    /// The lanes of `queue` in delivery order: highest priority first, then oldest
    /// generation first.
    static func all(_ connection: Connection, queue: String) throws -> [Lane] {
        let list = try connection.cachedStatement(allSQL)
        defer { list.reset() }
        try list.bind(queue, at: 1)
        var lanes: [Lane] = []
        while try list.step() { lanes.append(Lane(number: list.int64(at: 0), priority: list.int(at: 1), generation: list.int64(at: 2))) }
        return lanes
    }

    /// Where the next message of `queue` at `priority` goes: the end of its newest lane,
    /// or a new lane when it has none or the newest is full.
    static func tail(_ connection: Connection, queue: String, priority: Int) throws -> Tail {
        let known = connection.attachment { KnownTails() }
        let version = connection.dataVersion()
        if known.version != version {
            known.tails.removeAll(keepingCapacity: true)
            known.version = version
        } else if let tail = known.tails[queue]?.first(where: { $0.lane.priority == priority }) {
            return tail
        }
        return try readTail(connection, queue: queue, priority: priority)
    }

    /// Remembers, once the transaction commits, where the lanes of `queue` end after it
    /// (`tails`), so the next put on this connection finds them without reading them
    /// back, unless the store changed in between.
    static func remember(_ tails: [Tail], queue: String, _ connection: Connection) {
        // Other tails known before stay true only if nothing changed since they were.
        let before = connection.dataVersion()
        connection.afterCommit { connection in
            let known = connection.attachment { KnownTails() }
            if known.version != before || known.tails.count >= KnownTails.limit { known.tails.removeAll() }
            known.version = connection.dataVersion()
            replace(&known.tails[queue, default: []], with: tails)
        }
    }

    /// Puts each of `tails` in `known` in place of the one at its priority (one lookup of
    /// the queue's list, where a lookup per change hashed its name each time).
    private static func replace(_ known: inout [Tail], with tails: [Tail]) {
        for tail in tails {
            known.removeAll { $0.lane.priority == tail.lane.priority }
            known.append(tail)
        }
    }

    /// Where the next message of `queue` at `priority` goes, as the store says.
    private static func readTail(_ connection: Connection, queue: String, priority: Int) throws -> Tail {
        let newest = try connection.cachedStatement(SQL.tailNewest)
        try newest.bind(queue, at: 1)
        try newest.bind(priority, at: 2)
        let found = try newest.step() ? Lane(number: newest.int64(at: 0), priority: priority, generation: newest.int64(at: 1)) : nil
        newest.reset()
        guard let lane = found else {
            return try open(connection, queue: queue, priority: priority, generation: 0, lastID: 0)
        }
        let end = try connection.cachedStatement(SQL.tailEnd)
        defer { end.reset() }
        try end.bind(lane.first, at: 1)
        try end.bind(lane.last, at: 2)
        guard try end.step() else { return Tail(lane: lane, next: lane.first, lastID: 0) }
        // A full lane's tail has no room: its user opens the `following` one.
        return Tail(lane: lane, next: end.int64(at: 0) + 1, lastID: end.int64(at: 1), tableEnd: end.int64(at: 2))
    }

    /// The first of `count` consecutive positions at the end of `queue`'s lane at
    /// `priority`, for rows moved in by one statement (due delayed messages, retried
    /// dead letters): in a new generation of the lane if they do not fit in its rest.
    static func reserve(_ count: Int64, queue: String, priority: Int, _ connection: Connection) throws -> Int64 {
        var tail = try tail(connection, queue: queue, priority: priority)
        if tail.room < count { tail = try following(tail, queue: queue, connection) }
        return tail.take(count)
    }

    /// A new, empty lane after `tail`'s (a later generation), for messages that do not
    /// fit in what is left of it; ids appended there still follow `tail`'s last.
    static func following(_ tail: Tail, queue: String, _ connection: Connection) throws -> Tail {
        try open(connection, queue: queue, priority: tail.lane.priority, generation: tail.lane.generation + 1, lastID: tail.lastID)
    }

    /// The end of a lane: where its next message goes.
    struct Tail {
        var lane: Lane
        /// The next free position (`nil`: the lane's first).
        private var nextPosition: Int64?
        /// The largest id appended here; ids appended next are larger.
        var lastID: Int64
        /// The largest position in all of `messages` when this tail was read or last
        /// appended to, if known. While it is the one before the next position, a put
        /// lets SQLite number its row (the largest rowid plus one), which appends
        /// without searching the b-tree. It may be stale (this connection's own writes
        /// elsewhere do not update it): whoever relies on it checks the row's number.
        var tableEnd: Int64?

        init(lane: Lane, next: Int64?, lastID: Int64, tableEnd: Int64? = nil) {
            self.lane = lane
            self.nextPosition = next
            self.lastID = lastID
            self.tableEnd = tableEnd
        }

        /// The positions still free in the lane.
        var room: Int64 { lane.last - (nextPosition ?? lane.first) + 1 }

        /// Takes the next `count` positions (the caller checked `room`); returns the first.
        mutating func take(_ count: Int64 = 1) -> Int64 {
            let position = nextPosition ?? lane.first
            nextPosition = position + count
            return position
        }
    }

    /// Registers a new lane for `queue` at `priority`, numbered above every lane: its
    /// positions are the largest in `messages`, so its puts append at the right edge of
    /// the b-tree, where SQLite splits pages cheaply (about one WAL page per
    /// one-message commit there, nearly two for appends in the middle of the tree). Once
    /// numbers run out, a random free one. Returns the new lane's (empty) tail, with
    /// `lastID` and where `messages` ends, read by the statement that numbers the lane.
    private static func open(_ connection: Connection, queue: String, priority: Int, generation: Int64,
                             lastID: Int64) throws -> Tail {
        let numbering = try connection.cachedStatement(SQL.openNumber)
        guard try numbering.step() else { throw DQError(.internalError, "no lane number from SQLite") }
        var number = numbering.int64(at: 0)
        let tableEnd = numbering.int64(at: 1)
        numbering.reset()
        if number >= Lane.numberLimit {
            let taken = try connection.cachedStatement(SQL.openTaken)
            defer { taken.reset() }
            repeat {
                number = Int64.random(in: 1..<Lane.numberLimit)
                taken.reset()
                try taken.bind(number, at: 1)
            } while try taken.step()
        }
        let insert = try connection.cachedStatement(SQL.openInsert)
        defer { insert.reset() }
        try insert.bind(number, at: 1)
        try insert.bind(queue, at: 2)
        try insert.bind(priority, at: 3)
        try insert.bind(generation, at: 4)
        try insert.run()
        return Tail(lane: Lane(number: number, priority: priority, generation: generation), next: nil, lastID: lastID,
                    tableEnd: tableEnd)
    }

    /// Deletes those of `numbers` whose lanes hold no message; returns how many.
    static func deleteEmpty(_ connection: Connection, numbers: some Sequence<Int64>) throws -> Int {
        let delete = try connection.cachedStatement(SQL.deleteEmpty)
        var deleted = 0
        for number in numbers {
            delete.reset()
            try delete.bind(number, at: 1)
            try delete.run()
            deleted += connection.changes
        }
        delete.reset()
        return deleted
    }

    /// The numbers of up to `limit` lanes after `number`, in order (for a sweep that
    /// visits every lane a little at a time).
    static func numbers(after number: Int64, limit: Int, _ connection: Connection) throws -> [Int64] {
        let list = try connection.cachedStatement(SQL.numbersList)
        defer { list.reset() }
        try list.bind(number, at: 1)
        try list.bind(limit, at: 2)
        var numbers: [Int64] = []
        while try list.step() { numbers.append(list.int64(at: 0)) }
        return numbers
    }
}

/// The lane tails a connection's last puts left, valid while the store's data version
/// (`Connection.dataVersion()`) is the one after that put's commit: any other commit,
/// by this connection or another process, changes it and empties the table. Saves a
/// put the two reads of `Lanes.tail` when one producer puts one message after another.
final class KnownTails {
    /// The most queues whose tails are kept; more are forgotten all at once.
    static let limit = 1_024
    var version: UInt32 = 0
    /// By queue, one per priority put at. (Keyed by the name alone: a key type of our own
    /// would cost a search of every protocol conformance in the binary for its
    /// `Hashable`, 0.2-0.3 ms of each `dq put`.)
    var tails: [String: [Lanes.Tail]] = [:]
}

/// Lanes this process took messages out of, which may now be empty: their rows are
/// deleted (if still empty) off the hot path — on a background thread at most once a
/// second while readers find queues empty, and when the store closes — so a drained
/// queue leaves nothing behind without a get paying for it. A sweep also visits every
/// lane a little at a time, for lanes drained by a process that was killed first.
final class DrainedLanes: Sendable {
    /// Lanes noted since the last sweep, in the order noted, a repeat of the last one
    /// left out, compacted (sorted, repeats dropped) as it grows. (Not a `Set<Int64>`:
    /// its first use costs a search of every protocol conformance in the binary for
    /// `Int64: Hashable`, 0.2-0.3 ms of each `dq get`.)
    private let pending = Mutex<[Int64]>([])
    /// How many noted lanes make `note` compact the list.
    private static let compactAt = 4_096
    /// The last lane number the visiting sweep reached.
    private let visited = Mutex<Int64>(0)
    /// Lanes the visiting sweep checks per pass.
    static let visitsPerSweep = 256

    /// Notes that messages were removed from `lane`.
    func note(_ lane: Int64) {
        pending.withLock { lanes in
            guard lanes.last != lane else { return }
            lanes.append(lane)
            if lanes.count.isMultiple(of: Self.compactAt) { Self.compact(&lanes) }
        }
    }

    /// Sorts `lanes` and drops repeats.
    private static func compact(_ lanes: inout [Int64]) {
        lanes.sort()
        var kept = 0
        for lane in lanes where kept == 0 || lanes[kept - 1] != lane {
            lanes[kept] = lane
            kept += 1
        }
        lanes.removeSubrange(kept...)
    }

    var isEmpty: Bool { pending.withLock { $0.isEmpty } }

    /// Deletes the noted lanes that are empty, and checks the next `visits` lanes of the
    /// store. Returns how many lanes were deleted.
    func sweep(_ store: SQLiteEngine, visits: Int = visitsPerSweep) throws(DQError) -> Int {
        var noted = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        Self.compact(&noted)
        let after = visited.withLock { $0 }
        do {
            return try store.write { connection in
                var deleted = try Lanes.deleteEmpty(connection, numbers: noted)
                try MessageTable.forgetSpentLimits(connection, now: Timestamp.now())
                if visits > 0 {
                    let next = try Lanes.numbers(after: after, limit: visits, connection)
                    deleted += try Lanes.deleteEmpty(connection, numbers: next)
                    visited.withLock { $0 = next.count < visits ? 0 : next.last ?? 0 }
                }
                return deleted
            }
        } catch {
            pending.withLock { $0.append(contentsOf: noted) }
            throw error
        }
    }
}

/// The SQL statements of this file, each prepared once per connection (`PreparedSQL`).
private enum SQL {
    static let tailNewest = PreparedSQL("""
        SELECT lane, generation FROM lanes WHERE queue = ?1 AND priority = ?2 ORDER BY generation DESC LIMIT 1
        """)
    static let tailEnd = PreparedSQL("""
        SELECT position, id, (SELECT max(position) FROM messages) FROM messages WHERE position BETWEEN ?1 AND ?2
        ORDER BY position DESC LIMIT 1
        """)
    static let openNumber = PreparedSQL("""
        SELECT coalesce(max(lane), 0) + 1, (SELECT coalesce(max(position), 0) FROM messages) FROM lanes
        """)
    static let openTaken = PreparedSQL("SELECT 1 FROM lanes WHERE lane = ?1")
    static let openInsert = PreparedSQL("INSERT INTO lanes (lane, queue, priority, generation) VALUES (?1, ?2, ?3, ?4)")
    static let deleteEmpty = PreparedSQL("""
        DELETE FROM lanes WHERE lane = ?1
        AND NOT EXISTS (SELECT 1 FROM messages WHERE position BETWEEN \(Lane.positions(of: "?1")))
        """)
    static let numbersList = PreparedSQL("SELECT lane FROM lanes WHERE lane > ?1 ORDER BY lane LIMIT ?2")
}
