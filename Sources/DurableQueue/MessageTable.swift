import FoundationEssentials

/// The SQL behind queue operations. Every function runs on a connection inside a
/// transaction its caller opened.
///
/// Each queue keeps its messages in lanes, one rowid table per priority (`Lanes`).
/// The next message is the first row of the highest non-empty lane (a rowid seek,
/// whatever the backlog) and a put appends a row to its lane's table (one b-tree, one
/// page, as cheap as any SQLite insert). Delayed messages wait in `delayed`, ordered
/// by due time, and move to their lane, keeping their id, once due. Dedup keys live in
/// `dedup` while their message is in the queue.
enum MessageTable {
    /// Kinds of per-lane statements, for `LaneStatementKey`. Raw values are stable
    /// keys: add new kinds at the end.
    enum Kind: Int {
        case insert, next, delete, largestID, exists, count, purge, stats, promote
        case lease, settleFind, release, extend, bury, nextExpiry, releaseHolder, giveBack, ackDelete, restore
        case insertChunk
    }

    /// Selects the first ready rows of a lane (never leased, or whose lease or nack
    /// delay ran out by `?2`): `id > 0` makes the plan a rowid seek.
    static func nextSQL(_ lane: Lane) -> String {
        """
        SELECT id, enqueued_at, attempts + 1, dedup_key, body FROM \(lane.table)
        WHERE id > 0 AND (lease_until IS NULL OR lease_until <= ?2) ORDER BY id LIMIT ?1
        """
    }

    static func deleteSQL(_ lane: Lane) -> String {
        "DELETE FROM \(lane.table) WHERE id = ?1"
    }

    /// The cached statement of `kind` on `lane`; `sql` runs only the first time.
    static func statement(_ connection: Connection, _ lane: Lane, _ kind: Kind, _ sql: () -> String) throws -> Statement {
        try connection.cachedStatement(LaneStatementKey(lane: lane.id, kind: kind.rawValue), sql)
    }

    // MARK: Putting

    /// Puts messages into one queue within one transaction: each lane is looked up
    /// once, and ids are numbered up from one `MessageIDs.next` per priority.
    struct Inserter {
        let connection: Connection
        let queue: String
        let store: Store
        /// Microseconds since the epoch, read holding the write lock.
        let now: Int64
        /// Per priority: its lane, the last id this transaction gave it, its insert
        /// statement, and plain messages (no key, no delay) not yet inserted.
        private struct Cursor {
            let lane: Lane
            var lastID: Int64?
            var insert: Statement?
            var pending: [(id: Int64, body: Data)] = []
        }
        /// Plain messages go in `chunk` rows per INSERT statement, one statement run
        /// instead of a hundred: `dq bench W2` went from 0.63–0.79× to 0.94–0.99× of
        /// raw SQLite's one-row inserts (chunks of 50: 0.86–0.93×).
        static let chunk = 100
        /// Larger bodies are inserted one by one: binding copies each body, and a chunk
        /// of large ones would hold a hundred copies at once.
        static let chunkedBodyBytes = 16 * 1024
        /// The priority in use; most batches have one, so no dictionary on the hot path.
        private var current: Cursor?
        private var others: [Int: Cursor] = [:]
        /// The largest id handed out in this transaction.
        private var issued = Int64.min + 1

        init(_ connection: Connection, queue: String, store: Store, now: Int64) {
            self.connection = connection
            self.queue = queue
            self.store = store
            self.now = now
        }

        /// Inserts one message (into `delayed` when it has a delay), or finds the
        /// message already holding its dedup key.
        mutating func insert(_ message: OutgoingMessage) throws -> PutResult {
            if let key = message.key, let existing = try MessageTable.idHolding(key: key, queue: queue, connection) {
                return PutResult(id: existing, duplicate: true)
            }
            try select(priority: message.priority)
            let id = try nextID()
            let delay = max(0, Timestamp.microseconds(message.delay))
            if delay > 0 {
                let insert = try connection.cachedStatement("""
                    INSERT INTO delayed (queue, priority, id, enqueued_at, dedup_key, body, available_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    """)
                defer { insert.reset() }
                try insert.bind(queue, at: 1)
                try insert.bind(message.priority, at: 2)
                try insert.bind(id, at: 3)
                try insert.bind(now, at: 4)
                try insert.bind(message.key, at: 5)
                try insert.bind(message.body, at: 6)
                try insert.bind(now.addingReportingOverflow(delay).overflow ? Int64.max : now + delay, at: 7)
                try insert.run()
            } else if message.key == nil && message.body.count <= Self.chunkedBodyBytes {
                current!.pending.append((id, message.body))
                if current!.pending.count == Self.chunk { try flush(&current!) }
            } else {
                try insertOne(into: &current!, id: id, key: message.key, body: message.body)
            }
            if let key = message.key {
                let remember = try connection.cachedStatement("INSERT INTO dedup (queue, key, id) VALUES (?1, ?2, ?3)")
                defer { remember.reset() }
                try remember.bind(queue, at: 1)
                try remember.bind(key, at: 2)
                try remember.bind(id, at: 3)
                try remember.run()
            }
            return PutResult(id: id, duplicate: false)
        }

        private func insertOne(into cursor: inout Cursor, id: Int64, key: String?, body: Data) throws {
            let lane = cursor.lane
            let insert = try cursor.insert ?? MessageTable.statement(connection, lane, .insert) {
                "INSERT INTO \(lane.table) (id, enqueued_at, dedup_key, body) VALUES (?1, ?2, ?3, ?4)"
            }
            cursor.insert = insert
            defer { insert.reset() }
            try insert.bind(id, at: 1)
            try insert.bind(now, at: 2)
            try insert.bind(key, at: 3)
            try insert.bind(body, at: 4)
            try insert.run()
        }

        /// Inserts the cursor's pending plain messages: whole chunks in one statement,
        /// the rest one by one.
        private func flush(_ cursor: inout Cursor) throws {
            guard !cursor.pending.isEmpty else { return }
            let lane = cursor.lane
            if cursor.pending.count == Self.chunk {
                let insert = try MessageTable.statement(connection, lane, .insertChunk) {
                    "INSERT INTO \(lane.table) (id, enqueued_at, body) VALUES "
                        + Array(repeating: "(?, ?, ?)", count: Self.chunk).joined(separator: ", ")
                }
                defer { insert.reset() }
                for (index, row) in cursor.pending.enumerated() {
                    let first = Int32(index * 3 + 1)
                    try insert.bind(row.id, at: first)
                    try insert.bind(now, at: first + 1)
                    try insert.bind(row.body, at: first + 2)
                }
                try insert.run()
            } else {
                for row in cursor.pending { try insertOne(into: &cursor, id: row.id, key: nil, body: row.body) }
            }
            cursor.pending.removeAll(keepingCapacity: true)
        }

        /// Makes `current` the cursor for `priority`, finding or making its lane.
        private mutating func select(priority: Int) throws {
            if current?.lane.priority == priority { return }
            if let current { others[current.lane.priority] = current }
            if let cursor = others.removeValue(forKey: priority) {
                current = cursor
                return
            }
            if let lane = store.lanes.lane(queue: queue, priority: priority) {
                current = Cursor(lane: lane)
            } else if let found = try Lanes.find(connection, queue: queue, priority: priority) {
                store.lanes.remember(queue: queue, lane: found)
                current = Cursor(lane: found)
            } else {
                current = Cursor(lane: try Lanes.create(connection, queue: queue, priority: priority))
            }
        }

        /// The next id in the current lane: above the lane's last id, and above every
        /// id this transaction handed out, so ids are unique across the queue's lanes.
        private mutating func nextID() throws -> Int64 {
            let id: Int64
            if let last = current!.lastID {
                id = max(last, issued) + 1
            } else {
                let lane = current!.lane
                id = max(issued + 1, try store.ids.next(queue: queue, priority: lane.priority, now: now &* 1_000) {
                    try MessageTable.largestID(connection, queue: queue, lane: lane)
                })
            }
            current!.lastID = id
            issued = id
            return id
        }

        /// Inserts what is still pending, and tells `MessageIDs` the last id used per
        /// priority. Call after the inserts, inside the transaction.
        mutating func finish() throws {
            if current != nil { try flush(&current!) }
            if let last = current?.lastID, let lane = current?.lane {
                store.ids.record(queue: queue, priority: lane.priority, id: last)
            }
            // Most batches have one priority: no arrays made for `others` then.
            guard !others.isEmpty else { return }
            for priority in Array(others.keys) {
                try flush(&others[priority]!)
                if let last = others[priority]!.lastID {
                    store.ids.record(queue: queue, priority: priority, id: last)
                }
            }
        }
    }

    /// The id of the message in `queue` holding dedup `key`.
    static func idHolding(key: String, queue: String, _ connection: Connection) throws -> Int64? {
        let find = try connection.cachedStatement("SELECT id FROM dedup WHERE queue = ?1 AND key = ?2")
        defer { find.reset() }
        try find.bind(queue, at: 1)
        try find.bind(key, at: 2)
        return try find.step() ? find.int64(at: 0) : nil
    }

    /// The largest id stored in `lane` or delayed for it; 0 if none.
    static func largestID(_ connection: Connection, queue: String, lane: Lane) throws -> Int64 {
        let largest = try statement(connection, lane, .largestID) {
            """
            SELECT max(coalesce((SELECT max(id) FROM \(lane.table)), 0),
                       coalesce((SELECT max(id) FROM delayed WHERE queue = ?1 AND priority = ?2), 0))
            """
        }
        defer { largest.reset() }
        try largest.bind(queue, at: 1)
        try largest.bind(lane.priority, at: 2)
        return try largest.step() ? largest.int64(at: 0) : 0
    }

    // MARK: Receiving

    /// Moves delayed messages whose time has come into their lanes, keeping their ids.
    static func promoteDue(_ connection: Connection, queue: String, now: Int64) throws {
        guard try hasDueDelayed(connection, queue: queue, now: now) else { return }
        let priorities = try connection.cachedStatement(
            "SELECT DISTINCT priority FROM delayed WHERE queue = ?1 AND available_at <= ?2")
        try priorities.bind(queue, at: 1)
        try priorities.bind(now, at: 2)
        var due: [Int] = []
        while try priorities.step() { due.append(priorities.int(at: 0)) }
        priorities.reset()
        for priority in due {
            let lane = try Lanes.find(connection, queue: queue, priority: priority)
                ?? Lanes.create(connection, queue: queue, priority: priority)
            let move = try statement(connection, lane, .promote) {
                """
                INSERT INTO \(lane.table) (id, enqueued_at, attempts, dedup_key, body)
                SELECT id, enqueued_at, attempts, dedup_key, body FROM delayed
                WHERE queue = ?1 AND priority = ?2 AND available_at <= ?3
                """
            }
            defer { move.reset() }
            try move.bind(queue, at: 1)
            try move.bind(priority, at: 2)
            try move.bind(now, at: 3)
            try move.run()
        }
        let delete = try connection.cachedStatement("DELETE FROM delayed WHERE queue = ?1 AND available_at <= ?2")
        defer { delete.reset() }
        try delete.bind(queue, at: 1)
        try delete.bind(now, at: 2)
        try delete.run()
    }

    /// When the next delayed message of `queue` falls due, or the next lease or nack
    /// delay runs out (µs), if any: a waiting reader wakes then.
    static func nextDue(_ connection: Connection, queue: String) throws -> Int64? {
        let next = try connection.cachedStatement("SELECT min(available_at) FROM delayed WHERE queue = ?1")
        defer { next.reset() }
        try next.bind(queue, at: 1)
        var due: Int64? = try next.step() && !next.isNull(at: 0) ? next.int64(at: 0) : nil
        for lane in try Lanes.all(connection, queue: queue) {
            let expiry = try statement(connection, lane, .nextExpiry) {
                "SELECT min(lease_until) FROM \(lane.table) WHERE lease_until IS NOT NULL"
            }
            defer { expiry.reset() }
            if try expiry.step(), !expiry.isNull(at: 0) {
                due = min(due ?? .max, expiry.int64(at: 0))
            }
        }
        return due
    }

    private static func hasDueDelayed(_ connection: Connection, queue: String, now: Int64) throws -> Bool {
        let due = try connection.cachedStatement("SELECT 1 FROM delayed WHERE queue = ?1 AND available_at <= ?2 LIMIT 1")
        defer { due.reset() }
        try due.bind(queue, at: 1)
        try due.bind(now, at: 2)
        return try due.step()
    }

    /// Deletes and returns up to `limit` ready messages in delivery order: the first
    /// rows of the highest lanes, each selected and then deleted by rowid.
    static func removeNext(_ connection: Connection, queue: String, limit: Int, now: Int64) throws -> [Message] {
        var messages: [Message] = []
        for lane in try Lanes.all(connection, queue: queue) where messages.count < limit {
            var keys: [String?] = []
            let next = try statement(connection, lane, .next) { nextSQL(lane) }
            try next.bind(limit - messages.count, at: 1)
            try next.bind(now, at: 2)
            var taken: [Message] = []
            while try next.step() {
                taken.append(message(from: next, queue: queue, priority: lane.priority))
                keys.append(next.isNull(at: 3) ? nil : next.string(at: 3))
            }
            next.reset()
            if taken.isEmpty { continue }
            let delete = try statement(connection, lane, .delete) { deleteSQL(lane) }
            for message in taken {
                delete.reset()
                try delete.bind(message.id, at: 1)
                try delete.run()
            }
            delete.reset()
            for case let key? in keys { try forget(key: key, queue: queue, connection) }
            messages += taken
        }
        return messages
    }

    static func forget(key: String, queue: String, _ connection: Connection) throws {
        let forget = try connection.cachedStatement("DELETE FROM dedup WHERE queue = ?1 AND key = ?2")
        defer { forget.reset() }
        try forget.bind(queue, at: 1)
        try forget.bind(key, at: 2)
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
        for lane in try Lanes.all(connection, queue: queue) {
            let exists = try statement(connection, lane, .exists) {
                "SELECT EXISTS (SELECT 1 FROM \(lane.table) WHERE id > 0 AND (lease_until IS NULL OR lease_until <= ?1))"
            }
            defer { exists.reset() }
            try exists.bind(now, at: 1)
            if try exists.step(), exists.int64(at: 0) != 0 { return .deliverable }
        }
        if try hasDueDelayed(connection, queue: queue, now: now) { return .deliverable }
        return .nothingUntil(try nextDue(connection, queue: queue))
    }

    // MARK: Inspecting

    /// The next `limit` deliverable messages, without removing them.
    static func peek(_ connection: Connection, queue: String, limit: Int, now: Int64) throws -> [Message] {
        var messages: [Message] = []
        for lane in try Lanes.all(connection, queue: queue) where messages.count < limit {
            let next = try statement(connection, lane, .next) { nextSQL(lane) }
            defer { next.reset() }
            try next.bind(limit - messages.count, at: 1)
            try next.bind(now, at: 2)
            while try next.step() { messages.append(message(from: next, queue: queue, priority: lane.priority)) }
        }
        let due = try connection.cachedStatement("""
            SELECT id, enqueued_at, attempts + 1, dedup_key, body, priority FROM delayed
            WHERE queue = ?1 AND available_at <= ?3 ORDER BY priority DESC, id LIMIT ?2
            """)
        defer { due.reset() }
        try due.bind(queue, at: 1)
        try due.bind(limit, at: 2)
        try due.bind(now, at: 3)
        while try due.step() { messages.append(message(from: due, queue: queue, priority: due.int(at: 5))) }
        return Array(messages.sorted(by: deliveredBefore).prefix(limit))
    }

    /// How many messages could be received now.
    static func deliverableCount(_ connection: Connection, queue: String, now: Int64) throws -> Int {
        var total = 0
        for lane in try Lanes.all(connection, queue: queue) {
            let count = try statement(connection, lane, .count) {
                "SELECT count(*) FROM \(lane.table) WHERE lease_until IS NULL OR lease_until <= ?1"
            }
            defer { count.reset() }
            try count.bind(now, at: 1)
            if try count.step() { total += count.int(at: 0) }
        }
        let due = try connection.cachedStatement("SELECT count(*) FROM delayed WHERE queue = ?1 AND available_at <= ?2")
        defer { due.reset() }
        try due.bind(queue, at: 1)
        try due.bind(now, at: 2)
        return total + (try due.step() ? due.int(at: 0) : 0)
    }

    /// Deletes every ready, leased and delayed message of `queue`.
    static func purge(_ connection: Connection, queue: String) throws -> Int {
        var total = 0
        for lane in try Lanes.all(connection, queue: queue) {
            let purge = try statement(connection, lane, .purge) { "DELETE FROM \(lane.table)" }
            defer { purge.reset() }
            try purge.run()
            total += connection.changes
        }
        for sql in ["DELETE FROM delayed WHERE queue = ?1", "DELETE FROM dedup WHERE queue = ?1"] {
            let purge = try connection.cachedStatement(sql)
            defer { purge.reset() }
            try purge.bind(queue, at: 1)
            try purge.run()
            if sql.contains("delayed") { total += connection.changes }
        }
        return total
    }

    /// Counts per queue: every queue that has ever had messages.
    static func stats(_ connection: Connection, now: Int64) throws -> [QueueStats] {
        var counts: [String: (ready: Int, delayed: Int, leased: Int, oldest: Int64?)] = [:]
        func add(_ queue: String, ready: Int, delayed: Int, leased: Int, oldest: Int64?) {
            var entry = counts[queue] ?? (0, 0, 0, nil)
            entry.ready += ready
            entry.delayed += delayed
            entry.leased += leased
            if let oldest { entry.oldest = min(entry.oldest ?? .max, oldest) }
            counts[queue] = entry
        }
        for (queue, lane) in try Lanes.everyQueue(connection) {
            let stats = try statement(connection, lane, .stats) {
                """
                SELECT coalesce(sum(lease_until IS NULL OR lease_until <= ?1), 0),
                       coalesce(sum(lease_until > ?1 AND receipt IS NOT NULL), 0),
                       coalesce(sum(lease_until > ?1 AND receipt IS NULL), 0),
                       min(CASE WHEN lease_until IS NULL OR lease_until <= ?1 THEN enqueued_at END)
                FROM \(lane.table)
                """
            }
            defer { stats.reset() }
            try stats.bind(now, at: 1)
            guard try stats.step() else { continue }
            add(queue, ready: stats.int(at: 0), delayed: stats.int(at: 2), leased: stats.int(at: 1),
                oldest: stats.isNull(at: 3) ? nil : stats.int64(at: 3))
        }
        let delayed = try connection.cachedStatement("""
            SELECT queue, sum(available_at <= ?1), sum(available_at > ?1),
                   min(CASE WHEN available_at <= ?1 THEN enqueued_at END)
            FROM delayed GROUP BY queue
            """)
        defer { delayed.reset() }
        try delayed.bind(now, at: 1)
        while try delayed.step() {
            add(delayed.string(at: 0) ?? "", ready: delayed.int(at: 1), delayed: delayed.int(at: 2), leased: 0,
                oldest: delayed.isNull(at: 3) ? nil : delayed.int64(at: 3))
        }
        return counts.keys.sorted().map { queue in
            let entry = counts[queue]!
            return QueueStats(name: queue, ready: entry.ready, delayed: entry.delayed, leased: entry.leased, dead: 0,
                              oldestReadyAge: entry.oldest.map { .microseconds(max(0, now - $0)) })
        }
    }

    // MARK: Rows

    /// Reads `id, enqueued_at, attempts + 1, dedup_key, body`.
    /// The message in a row of `nextSQL`'s columns (id, enqueued_at, attempts, dedup_key, body).
    static func message(from row: Statement, queue: String, priority: Int) -> Message {
        Message(
            id: row.int64(at: 0), queue: queue, body: row.data(at: 4), priority: priority,
            enqueuedAt: Timestamp.date(row.int64(at: 1)), attempt: row.int(at: 2))
    }

    private static func deliveredBefore(_ a: Message, _ b: Message) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.id < b.id
    }
}
