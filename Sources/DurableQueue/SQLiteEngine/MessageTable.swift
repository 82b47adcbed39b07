import FoundationEssentials
import Synchronization

/// The SQL behind queue operations. Every function runs on a connection inside a
/// transaction its caller opened.
///
/// Ready and leased messages live in `messages`, one row each, keyed by their position
/// in their lane (`Lanes`): a put appends after the last position of its lane, and the
/// next message is the first ready row of the highest-priority lane of its queue — both
/// rowid seeks, whatever the backlog and however many queues there are. Delayed
/// messages wait in `delayed`, ordered by due time, and are appended to their lane,
/// keeping their id, once due. Dedup keys live in `dedup` while their message is in the
/// queue.
enum MessageTable {
    // MARK: Putting

    /// Puts messages into one queue within one transaction: each priority's lane tail
    /// is looked up once, and ids are numbered up from the clock.
    struct Inserter {
        let connection: Connection
        let queue: String
        /// Microseconds since the epoch, read holding the write lock.
        let now: Int64
        /// Plain messages go in `chunk` rows per INSERT statement, one statement run
        /// instead of a hundred.
        static let chunk = 100
        /// Larger bodies are inserted one by one: binding copies each body, and a chunk
        /// of large ones would hold a hundred copies at once.
        static let chunkedBodyBytes = 16 * 1024
        /// Per priority: its lane's tail, and plain messages (no key, no delay) not yet
        /// inserted.
        private struct Cursor {
            var tail: Lanes.Tail
            var pending: [(position: Int64, id: Int64, body: Data)] = []
        }
        /// The priority in use; most batches have one, so no dictionary on the hot path.
        private var current: Cursor?
        private var others: [Int: Cursor] = [:]
        /// The largest id handed out in this transaction, starting from the largest this
        /// process handed out, so one producer's ids increase even when a queue drained
        /// (and its lane went) and the clock stepped back.
        private var issued = Inserter.issuedByProcess.load(ordering: .relaxed)
        private static let issuedByProcess = Atomic<Int64>(Int64.min + 1)

        init(_ connection: Connection, queue: String, now: Int64) {
            self.connection = connection
            self.queue = queue
            self.now = now
        }

        /// Inserts one message (into `delayed` when it has a delay), or finds the
        /// message already holding its dedup key.
        mutating func insert(_ message: OutgoingMessage) throws -> PutResult {
            if let key = message.key, let existing = try MessageTable.idHolding(key: key, queue: queue, connection) {
                return PutResult(id: existing, duplicate: true)
            }
            let delay = max(0, Timestamp.microseconds(message.delay))
            // A delayed message goes to `delayed`; its lane is found when it falls due.
            if delay == 0 { try select(priority: message.priority) }
            let id = nextID(inLane: delay == 0)
            if delay > 0 {
                let insert = try connection.cachedStatement(SQL.insertDelayed)
                defer { insert.reset() }
                try insert.bind(queue, at: 1)
                try insert.bind(message.priority, at: 2)
                try insert.bind(id, at: 3)
                try insert.bind(now, at: 4)
                try insert.bind(message.key, at: 5)
                try insert.bind(message.body, at: 6)
                try insert.bind(now.addingReportingOverflow(delay).overflow ? Int64.max : now + delay, at: 7)
                try insert.bind(message.replyTo, at: 8)
                try insert.run()
            } else {
                let position = try nextPosition()
                if message.key == nil && message.replyTo == nil && message.body.count <= Self.chunkedBodyBytes {
                    current!.pending.append((position, id, message.body))
                    if current!.pending.count == Self.chunk { try flush(&current!) }
                } else {
                    try insertOne(position: position, id: id, key: message.key, body: message.body, replyTo: message.replyTo,
                                  tableEnd: &current!.tail.tableEnd)
                }
            }
            if let key = message.key {
                let remember = try connection.cachedStatement(SQL.rememberKey)
                defer { remember.reset() }
                try remember.bind(queue, at: 1)
                try remember.bind(key, at: 2)
                try remember.bind(id, at: 3)
                try remember.bind(message.uniqueUntil == .started ? 1 : 0, at: 4)
                try remember.run()
            }
            return PutResult(id: id, duplicate: false)
        }

        /// Inserts one row at `position`. When `tableEnd` (the lane tail's) says that is
        /// the end of `messages`, SQLite numbers the row itself, which appends without
        /// searching the b-tree; a row it numbered otherwise (`tableEnd` was stale) is
        /// moved to `position` and `tableEnd` forgotten.
        private func insertOne(position: Int64, id: Int64, key: String?, body: Data, replyTo: String? = nil,
                               tableEnd: inout Int64?) throws {
            let appending = tableEnd == position - 1
            let insert = try connection.cachedStatement(SQL.insertOne)
            defer { insert.reset() }
            try insert.bind(appending ? nil : position, at: 1)
            try insert.bind(id, at: 2)
            try insert.bind(now, at: 3)
            try insert.bind(key, at: 4)
            try insert.bind(body, at: 5)
            try insert.bind(replyTo, at: 6)
            try insert.run()
            guard appending && connection.lastInsertedRowid != position else {
                tableEnd = tableEnd.map { max($0, position) }
                return
            }
            let move = try connection.cachedStatement(SQL.moveRow)
            defer { move.reset() }
            try move.bind(position, at: 1)
            try move.bind(connection.lastInsertedRowid, at: 2)
            try move.run()
            tableEnd = nil
        }

        private static let chunkSQL = PreparedSQL("INSERT INTO messages (position, id, enqueued_at, body) VALUES "
            + Array(repeating: "(?, ?, ?, ?)", count: chunk).joined(separator: ", "))

        /// Inserts the cursor's pending plain messages: whole chunks in one statement,
        /// the rest one by one.
        private func flush(_ cursor: inout Cursor) throws {
            guard !cursor.pending.isEmpty else { return }
            if cursor.pending.count == Self.chunk {
                let insert = try connection.cachedStatement(Self.chunkSQL)
                defer { insert.reset() }
                for (index, row) in cursor.pending.enumerated() {
                    let first = Int32(index * 4 + 1)
                    try insert.bind(row.position, at: first)
                    try insert.bind(row.id, at: first + 1)
                    try insert.bind(now, at: first + 2)
                    try insert.bind(row.body, at: first + 3)
                }
                try insert.run()
                let last = cursor.pending.last!.position
                cursor.tail.tableEnd = cursor.tail.tableEnd.map { max($0, last) }
            } else {
                for row in cursor.pending {
                    try insertOne(position: row.position, id: row.id, key: nil, body: row.body, tableEnd: &cursor.tail.tableEnd)
                }
            }
            cursor.pending.removeAll(keepingCapacity: true)
        }

        /// Makes `current` the cursor for `priority`, finding or opening its lane.
        private mutating func select(priority: Int) throws {
            guard var previous = current else {
                current = Cursor(tail: try Lanes.tail(connection, queue: queue, priority: priority))
                return
            }
            if previous.tail.lane.priority == priority { return }
            // Lanes filled in turn no longer know where `messages` ends.
            previous.tail.tableEnd = nil
            others[previous.tail.lane.priority] = previous
            var next = try others.removeValue(forKey: priority) ?? Cursor(tail: Lanes.tail(connection, queue: queue, priority: priority))
            next.tail.tableEnd = nil
            current = next
        }

        /// The next position in the current lane; a full lane is followed by a new one.
        private mutating func nextPosition() throws -> Int64 {
            if current!.tail.room == 0 {
                try flush(&current!)
                current!.tail = try Lanes.following(current!.tail, queue: queue, connection)
            }
            return current!.tail.take()
        }

        /// The next id: nanoseconds of the clock, above the lane's last id (for a message
        /// that goes into its lane now) and every id this transaction handed out, so ids
        /// increase in commit order within a queue even when the clock steps back.
        private mutating func nextID(inLane: Bool) -> Int64 {
            let id = max(now &* 1_000, inLane ? current!.tail.lastID &+ 1 : .min, issued &+ 1)
            if inLane { current!.tail.lastID = id }
            issued = id
            return id
        }

        /// Inserts what is still pending, and has the lanes' new ends remembered once the
        /// transaction commits (`Lanes.remember`). Call after the inserts, inside the
        /// transaction.
        mutating func finish() throws {
            Self.issuedByProcess.max(issued, ordering: .relaxed)
            if current != nil { try flush(&current!) }
            // Most batches have one priority: no arrays made for `others` then.
            guard !others.isEmpty else {
                if let tail = current?.tail { Lanes.remember([tail], queue: queue, connection) }
                return
            }
            for priority in Array(others.keys) { try flush(&others[priority]!) }
            Lanes.remember((current.map { [$0.tail] } ?? []) + others.values.map(\.tail), queue: queue, connection)
        }
    }

    /// The id of the message in `queue` holding dedup `key`.
    static func idHolding(key: String, queue: String, _ connection: Connection) throws -> Int64? {
        let find = try connection.cachedStatement(SQL.idHoldingFind)
        defer { find.reset() }
        try find.bind(queue, at: 1)
        try find.bind(key, at: 2)
        return try find.step() ? find.int64(at: 0) : nil
    }

    // MARK: Delivery order

    /// A ready message and where it is stored.
    struct ReadyRow {
        let message: Message
        let position: Int64
        let lane: Lane
        /// The message's dedup key, if it has one.
        let key: String?
    }

    /// The first ready rows of queue `?1` at `?2`, at most `?3`, lane after lane: as
    /// many rowid ranges as it takes, no sort (the lanes come in order from their index).
    static let readySQL = PreparedSQL("""
        SELECT m.position, m.id, m.enqueued_at, m.attempts + 1, m.dedup_key, m.body, l.lane, l.priority, l.generation,
               m.reply_to
        FROM lanes l JOIN messages m ON m.position BETWEEN \(Lane.positions(of: "l.lane"))
        WHERE l.queue = ?1 AND (m.lease_until IS NULL OR m.lease_until <= ?2)
        ORDER BY l.priority DESC, l.generation, m.position LIMIT ?3
        """)
    static let deleteSQL = PreparedSQL("DELETE FROM messages WHERE position = ?1")

    /// Up to `limit` messages of `queue` deliverable at `now` (never leased, or whose
    /// lease or nack delay ran out), in delivery order: lanes by priority, then by
    /// position. The one place that order is decided.
    static func ready(_ connection: Connection, queue: String, limit: Int, now: Int64) throws -> [ReadyRow] {
        let next = try connection.cachedStatement(readySQL)
        defer { next.reset() }
        try next.bind(queue, at: 1)
        try next.bind(now, at: 2)
        try next.bind(limit, at: 3)
        var rows: [ReadyRow] = []
        while try next.step() {
            let lane = Lane(number: next.int64(at: 6), priority: next.int(at: 7), generation: next.int64(at: 8))
            var message = Message(id: next.int64(at: 1), queue: queue, body: next.data(at: 5), priority: lane.priority,
                                  enqueuedAt: Timestamp.date(next.int64(at: 2)), attempt: next.int(at: 3))
            if !next.isNull(at: 9) { message.replyTo = next.string(at: 9) }
            rows.append(ReadyRow(message: message, position: next.int64(at: 0), lane: lane,
                                 key: next.isNull(at: 4) ? nil : next.string(at: 4)))
        }
        return rows
    }

    // MARK: Receiving

    /// Appends delayed messages whose time has come to their lanes, keeping their ids,
    /// in the order they fell due.
    static func promoteDue(_ connection: Connection, queue: String, now: Int64) throws {
        let moved = try appendToLanes(connection, queue: queue, counts: SQL.promoteDueCounts, move: SQL.promoteDueMove) {
            try $0.bind(now, at: $1)
        }
        if moved == 0 { return }
        let delete = try connection.cachedStatement(SQL.promoteDueDelete)
        defer { delete.reset() }
        try delete.bind(queue, at: 1)
        try delete.bind(now, at: 2)
        try delete.run()
    }

    /// Moves rows of another table (due delayed messages, dead letters) to the ends of
    /// `queue`'s lanes, one statement per priority. `counts` (`?1` queue, `?2` what
    /// `bind` binds) returns each priority and how many rows it has; `move` (`?1` queue,
    /// `?2` priority, `?3` the first position reserved for them, `?4` what `bind` binds)
    /// inserts them. `bind` binds the rows' own condition (`now`, chosen ids), if any, to
    /// a statement at an index. Returns how many rows moved.
    static func appendToLanes(_ connection: Connection, queue: String, counts: PreparedSQL, move: PreparedSQL,
                              bind: (Statement, Int32) throws -> Void = { _, _ in }) throws -> Int {
        let counting = try connection.cachedStatement(counts)
        try counting.bind(queue, at: 1)
        try bind(counting, 2)
        var levels: [(priority: Int, count: Int64)] = []
        while try counting.step() { levels.append((counting.int(at: 0), counting.int64(at: 1))) }
        counting.reset()
        if levels.isEmpty { return 0 }
        let moving = try connection.cachedStatement(move)
        defer { moving.reset() }
        var moved = 0
        for (priority, count) in levels {
            let first = try Lanes.reserve(count, queue: queue, priority: priority, connection)
            moving.reset()
            try moving.bind(queue, at: 1)
            try moving.bind(priority, at: 2)
            try moving.bind(first, at: 3)
            try bind(moving, 4)
            try moving.run()
            moved += connection.changes
        }
        return moved
    }

    /// When the next delayed message of `queue` falls due, or the next lease or nack
    /// delay runs out (µs), if any: a waiting reader wakes then.
    static func nextDue(_ connection: Connection, queue: String) throws -> Int64? {
        let next = try connection.cachedStatement(SQL.nextDue)
        defer { next.reset() }
        try next.bind(queue, at: 1)
        return try next.step() && !next.isNull(at: 0) ? next.int64(at: 0) : nil
    }

    /// Deletes and returns up to `limit` ready messages in delivery order.
    static func removeNext(_ connection: Connection, queue: String, limit: Int, now: Int64,
                           drained: DrainedLanes) throws -> [Message] {
        try removeReady(connection, queue: queue, limit: limit, now: now, drained: drained).map(\.message)
    }

    /// Deletes and returns up to `limit` ready rows in delivery order, freeing their
    /// dedup keys.
    static func removeReady(_ connection: Connection, queue: String, limit: Int, now: Int64,
                            drained: DrainedLanes) throws -> [ReadyRow] {
        let rows = try ready(connection, queue: queue, limit: limit, now: now)
        let delete = try connection.cachedStatement(deleteSQL)
        defer { delete.reset() }
        var lastLane: Int64 = 0
        for row in rows {
            delete.reset()
            try delete.bind(row.position, at: 1)
            try delete.run()
            if let key = row.key { try forget(key: key, id: row.message.id, queue: queue, connection) }
            if row.lane.number != lastLane {
                drained.note(row.lane.number)
                lastLane = row.lane.number
            }
        }
        return rows
    }

    /// Frees dedup `key` of `queue` if message `id` still holds it (one put to be unique
    /// until started gave it up when delivered, perhaps to a newer message).
    static func forget(key: String, id: Int64, queue: String, _ connection: Connection) throws {
        let forget = try connection.cachedStatement(SQL.forget)
        defer { forget.reset() }
        try forget.bind(queue, at: 1)
        try forget.bind(key, at: 2)
        try forget.bind(id, at: 3)
        try forget.run()
    }

    /// What a waiting reader learns from one look at its queue.
    enum Look {
        /// A message could be received now (ready, or delayed and due).
        case deliverable
        /// Nothing now; `due` (µs) is when a delayed message falls due or a lease or
        /// nack delay runs out, if any.
        case nothingUntil(_ due: Int64?)
    }

    /// Whether a message could be received now and, if not, when one might be.
    static func look(_ connection: Connection, queue: String, now: Int64) throws -> Look {
        let exists = try connection.cachedStatement(SQL.lookExists)
        defer { exists.reset() }
        try exists.bind(queue, at: 1)
        try exists.bind(now, at: 2)
        if try exists.step(), exists.int64(at: 0) != 0 { return .deliverable }
        // Every lease and nack delay runs past `now` (else the row was found above): a
        // due time not after `now` is a delayed message's.
        let due = try nextDue(connection, queue: queue)
        if let due, due <= now { return .deliverable }
        return .nothingUntil(due)
    }

    // MARK: Inspecting

    /// The next `limit` deliverable messages, without removing them: what gets would
    /// take, delayed messages that fell due included (a get appends those to their lane
    /// first).
    static func peek(_ connection: Connection, queue: String, limit: Int, now: Int64) throws -> [Message] {
        let ready = try ready(connection, queue: queue, limit: limit, now: now).map(\.message)
        let due = try connection.cachedStatement(SQL.peekDue)
        defer { due.reset() }
        try due.bind(queue, at: 1)
        try due.bind(limit, at: 2)
        try due.bind(now, at: 3)
        let promoted = try messages(due, queue: queue)
        if promoted.isEmpty { return ready }
        // Each priority's lane, then its due delayed messages after it.
        var merged: [Message] = []
        var (r, p) = (0, 0)
        while merged.count < limit && (r < ready.count || p < promoted.count) {
            if p == promoted.count || (r < ready.count && ready[r].priority >= promoted[p].priority) {
                merged.append(ready[r])
                r += 1
            } else {
                merged.append(promoted[p])
                p += 1
            }
        }
        return merged
    }

    /// How many messages could be received now.
    static func deliverableCount(_ connection: Connection, queue: String, now: Int64) throws -> Int {
        let count = try connection.cachedStatement(SQL.deliverableCount)
        defer { count.reset() }
        try count.bind(queue, at: 1)
        try count.bind(now, at: 2)
        return try count.step() ? count.int(at: 0) : 0
    }

    /// Deletes every ready, leased and delayed message of `queue`, and its lanes.
    static func purge(_ connection: Connection, queue: String) throws -> Int {
        var total = 0
        let purge = try connection.cachedStatement(SQL.purge)
        defer { purge.reset() }
        for lane in try Lanes.all(connection, queue: queue) {
            purge.reset()
            try purge.bind(lane.first, at: 1)
            try purge.bind(lane.last, at: 2)
            try purge.run()
            total += connection.changes
        }
        for (sql, counted) in [(SQL.purgeDelayed, true), (SQL.purgeKeys, false), (SQL.purgeLanes, false)] {
            let purge = try connection.cachedStatement(sql)
            defer { purge.reset() }
            try purge.bind(queue, at: 1)
            try purge.run()
            if counted { total += connection.changes }
        }
        return total
    }

    /// Counts per queue, for every queue that holds messages (ready, leased or delayed)
    /// or dead letters (only `queue`, if given: then an index seek per table), sorted by name.
    static func stats(_ connection: Connection, now: Int64, only queue: String? = nil) throws -> [QueueStats] {
        var counts: [String: (ready: Int, delayed: Int, leased: Int, dead: Int, oldest: Int64?)] = [:]
        func add(_ queue: String, ready: Int = 0, delayed: Int = 0, leased: Int = 0, dead: Int = 0, oldest: Int64? = nil) {
            var entry = counts[queue] ?? (0, 0, 0, 0, nil)
            entry.ready += ready
            entry.delayed += delayed
            entry.leased += leased
            entry.dead += dead
            if let oldest { entry.oldest = min(entry.oldest ?? .max, oldest) }
            counts[queue] = entry
        }
        // A nack with a delay leaves the message in its lane with a `lease_until` and no
        // receipt: it counts as delayed.
        let lanes = try connection.cachedStatement(queue == nil ? SQL.statsLanes : SQL.statsLanesOf)
        defer { lanes.reset() }
        try lanes.bind(now, at: 1)
        if let queue { try lanes.bind(queue, at: 2) }
        while try lanes.step() {
            add(lanes.string(at: 0) ?? "", ready: lanes.int(at: 1), delayed: lanes.int(at: 3), leased: lanes.int(at: 2),
                oldest: lanes.isNull(at: 4) ? nil : lanes.int64(at: 4))
        }
        let delayed = try connection.cachedStatement(queue == nil ? SQL.statsDelayed : SQL.statsDelayedOf)
        defer { delayed.reset() }
        try delayed.bind(now, at: 1)
        if let queue { try delayed.bind(queue, at: 2) }
        while try delayed.step() {
            add(delayed.string(at: 0) ?? "", ready: delayed.int(at: 1), delayed: delayed.int(at: 2),
                oldest: delayed.isNull(at: 3) ? nil : delayed.int64(at: 3))
        }
        let dead = try connection.cachedStatement(queue == nil ? SQL.statsDead : SQL.statsDeadOf)
        defer { dead.reset() }
        if let queue { try dead.bind(queue, at: 1) }
        while try dead.step() { add(dead.string(at: 0) ?? "", dead: dead.int(at: 1)) }
        return counts.keys.sorted().map { queue in
            let entry = counts[queue]!
            return QueueStats(name: queue, ready: entry.ready, delayed: entry.delayed, leased: entry.leased, dead: entry.dead,
                              oldestReadyAge: entry.oldest.map { .microseconds(max(0, now - $0)) })
        }
    }

    /// Every row `statement` returns, as messages of `queue`; its columns are id,
    /// enqueued_at, attempt, priority, body.
    static func messages(_ statement: Statement, queue: String) throws -> [Message] {
        var messages: [Message] = []
        while try statement.step() {
            messages.append(Message(id: statement.int64(at: 0), queue: queue, body: statement.data(at: 4),
                                    priority: statement.int(at: 3), enqueuedAt: Timestamp.date(statement.int64(at: 1)),
                                    attempt: statement.int(at: 2)))
        }
        return messages
    }
}

/// The SQL statements of this file, each prepared once per connection (`PreparedSQL`).
private enum SQL {
    static let insertDelayed = PreparedSQL("""
        INSERT INTO delayed (queue, priority, id, enqueued_at, dedup_key, body, available_at, reply_to)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        """)
    static let rememberKey = PreparedSQL("INSERT INTO dedup (queue, key, id, until_started) VALUES (?1, ?2, ?3, ?4)")
    static let insertOne = PreparedSQL("""
        INSERT INTO messages (position, id, enqueued_at, dedup_key, body, reply_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        """)
    static let moveRow = PreparedSQL("UPDATE messages SET position = ?1 WHERE position = ?2")
    static let idHoldingFind = PreparedSQL("SELECT id FROM dedup WHERE queue = ?1 AND key = ?2")
    static let promoteDueCounts = PreparedSQL("SELECT priority, count(*) FROM delayed WHERE queue = ?1 AND available_at <= ?2 GROUP BY priority")
    static let promoteDueMove = PreparedSQL("""
        INSERT INTO messages (position, id, enqueued_at, attempts, dedup_key, body, reply_to)
        SELECT ?3 + row_number() OVER (ORDER BY available_at, id) - 1, id, enqueued_at, attempts, dedup_key, body, reply_to
        FROM delayed WHERE queue = ?1 AND priority = ?2 AND available_at <= ?4
        """)
    static let promoteDueDelete = PreparedSQL("DELETE FROM delayed WHERE queue = ?1 AND available_at <= ?2")
    /// The earliest time a delayed message of `?1` falls due or a lease or nack delay
    /// in its lanes runs out.
    static let nextDue = PreparedSQL("""
        SELECT min(due) FROM (
            SELECT min(available_at) AS due FROM delayed WHERE queue = ?1
            UNION ALL
            SELECT min(m.lease_until) FROM lanes l JOIN messages m ON m.position BETWEEN \(Lane.positions(of: "l.lane"))
            WHERE l.queue = ?1 AND m.lease_until IS NOT NULL)
        """)
    static let forget = PreparedSQL("DELETE FROM dedup WHERE queue = ?1 AND key = ?2 AND id = ?3")
    static let lookExists = PreparedSQL("""
        SELECT EXISTS (SELECT 1 FROM lanes l JOIN messages m ON m.position BETWEEN \(Lane.positions(of: "l.lane"))
        WHERE l.queue = ?1 AND (m.lease_until IS NULL OR m.lease_until <= ?2))
        """)
    static let peekDue = PreparedSQL("""
        SELECT id, enqueued_at, attempts + 1, priority, body FROM delayed
        WHERE queue = ?1 AND available_at <= ?3 ORDER BY priority DESC, available_at, id LIMIT ?2
        """)
    static let deliverableCount = PreparedSQL("""
        SELECT (SELECT count(*) FROM lanes l JOIN messages m ON m.position BETWEEN \(Lane.positions(of: "l.lane"))
                WHERE l.queue = ?1 AND (m.lease_until IS NULL OR m.lease_until <= ?2))
             + (SELECT count(*) FROM delayed WHERE queue = ?1 AND available_at <= ?2)
        """)
    static let purgeDelayed = PreparedSQL("DELETE FROM delayed WHERE queue = ?1")
    static let purgeKeys = PreparedSQL("DELETE FROM dedup WHERE queue = ?1")
    static let purgeLanes = PreparedSQL("DELETE FROM lanes WHERE queue = ?1")
    static let purge = PreparedSQL("DELETE FROM messages WHERE position BETWEEN ?1 AND ?2")
    static let statsLanes = PreparedSQL(statsOfLanes(where: ""))
    static let statsDelayed = PreparedSQL(statsOfDelayed(where: ""))
    static let statsDead = PreparedSQL("SELECT queue, count(*) FROM dead GROUP BY queue")
    /// `statsLanes`, `statsDelayed` and `statsDead` for one queue (?2, ?2, ?1).
    static let statsLanesOf = PreparedSQL(statsOfLanes(where: "WHERE l.queue = ?2"))
    static let statsDelayedOf = PreparedSQL(statsOfDelayed(where: "WHERE queue = ?2"))
    static let statsDeadOf = PreparedSQL("SELECT queue, count(*) FROM dead WHERE queue = ?1 GROUP BY queue")

    /// Per queue of the lanes `filter` keeps: ready, leased, nack-delayed, the oldest
    /// ready one's enqueue time (?1: now).
    private static func statsOfLanes(where filter: String) -> String {
        """
        SELECT l.queue,
               sum(m.lease_until IS NULL OR m.lease_until <= ?1),
               sum(m.lease_until > ?1 AND m.receipt IS NOT NULL),
               sum(m.lease_until > ?1 AND m.receipt IS NULL),
               min(CASE WHEN m.lease_until IS NULL OR m.lease_until <= ?1 THEN m.enqueued_at END)
        FROM lanes l JOIN messages m ON m.position BETWEEN \(Lane.positions(of: "l.lane"))
        \(filter)
        GROUP BY l.queue
        """
    }

    /// Per queue of the delayed messages `filter` keeps: due, not yet due, the oldest due
    /// one's enqueue time (?1: now).
    private static func statsOfDelayed(where filter: String) -> String {
        """
        SELECT queue, sum(available_at <= ?1), sum(available_at > ?1),
        min(CASE WHEN available_at <= ?1 THEN enqueued_at END)
        FROM delayed \(filter) GROUP BY queue
        """
    }
}
