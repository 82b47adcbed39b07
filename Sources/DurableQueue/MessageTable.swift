import Foundation

/// The SQL behind queue operations. Every function runs on a connection inside a
/// transaction its caller opened.
///
/// `messages` is clustered by `(queue, priority DESC, id)`: the next message of a
/// queue is the first row of its range (a primary-key seek, whatever the backlog),
/// and a put appends to the range, writing one b-tree page. Delayed messages wait in
/// `delayed`, ordered by due time, and move to `messages` with their id once due.
enum MessageTable {
    static let nextSQL = """
        SELECT priority, id, enqueued_at, attempts + 1, body FROM messages
        WHERE queue = ?1 AND lease_until IS NULL
        ORDER BY priority DESC, id LIMIT ?2
        """

    static let deleteSQL = "DELETE FROM messages WHERE queue = ?1 AND priority = ?2 AND id = ?3"

    // MARK: Putting

    /// Puts messages into one queue within one transaction. The statements are looked
    /// up once, and ids are numbered up from one `MessageIDs.next` per priority.
    struct Inserter {
        let connection: Connection
        let queue: String
        let ids: MessageIDs
        /// Microseconds since the epoch, read holding the write lock.
        let now: Int64
        private var firstIDs: [Int: Int64] = [:]
        private var lastIDs: [Int: Int64] = [:]
        private var ready: Statement?
        private var delayed: Statement?

        init(_ connection: Connection, queue: String, ids: MessageIDs, now: Int64) {
            self.connection = connection
            self.queue = queue
            self.ids = ids
            self.now = now
        }

        /// Inserts one message (into `delayed` when it has a delay), or finds the
        /// message already holding its dedup key.
        mutating func insert(_ message: OutgoingMessage) throws -> PutResult {
            if let key = message.key, let existing = try idHolding(key: key, queue: queue, connection) {
                return PutResult(id: existing, duplicate: true)
            }
            let id = try nextID(priority: message.priority)
            let delay = max(0, Timestamp.microseconds(message.delay))
            let statement: Statement
            if delay > 0 {
                statement = try delayed ?? connection.cachedStatement("""
                    INSERT INTO delayed (queue, priority, id, enqueued_at, dedup_key, body, available_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    """)
                delayed = statement
                statement.reset()
                try statement.bind(now.addingReportingOverflow(delay).overflow ? Int64.max : now + delay, at: 7)
            } else {
                statement = try ready ?? connection.cachedStatement("""
                    INSERT INTO messages (queue, priority, id, enqueued_at, dedup_key, body)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    """)
                ready = statement
                statement.reset()
            }
            defer { statement.reset() }
            try statement.bind(queue, at: 1)
            try statement.bind(message.priority, at: 2)
            try statement.bind(id, at: 3)
            try statement.bind(now, at: 4)
            try statement.bind(message.key, at: 5)
            try statement.bind(message.body, at: 6)
            try statement.run()
            return PutResult(id: id, duplicate: false)
        }

        private mutating func nextID(priority: Int) throws -> Int64 {
            if let last = lastIDs[priority] {
                lastIDs[priority] = last + 1
                return last + 1
            }
            let id = try ids.next(queue: queue, priority: priority, now: now &* 1_000) {
                try largestID(connection, queue: queue, priority: priority)
            }
            firstIDs[priority] = id
            lastIDs[priority] = id
            return id
        }

        /// Tells `MessageIDs` the last id used per priority, where the transaction
        /// numbered past the one `next` gave it. Call after the inserts.
        func finish() {
            for (priority, id) in lastIDs where id != firstIDs[priority] {
                ids.record(queue: queue, priority: priority, id: id)
            }
        }
    }

    /// The id of the message in `queue` (ready, leased or delayed) holding `key`.
    fileprivate static func idHolding(key: String, queue: String, _ connection: Connection) throws -> Int64? {
        let find = try connection.cachedStatement("""
            SELECT id FROM messages WHERE queue = ?1 AND dedup_key = ?2
            UNION ALL SELECT id FROM delayed WHERE queue = ?1 AND dedup_key = ?2
            """)
        defer { find.reset() }
        try find.bind(queue, at: 1)
        try find.bind(key, at: 2)
        return try find.step() ? find.int64(at: 0) : nil
    }

    /// The largest id stored for `queue` at `priority`, in either table; 0 if none.
    fileprivate static func largestID(_ connection: Connection, queue: String, priority: Int) throws -> Int64 {
        let largest = try connection.cachedStatement("""
            SELECT max(
                coalesce((SELECT id FROM messages WHERE queue = ?1 AND priority = ?2 ORDER BY id DESC LIMIT 1), 0),
                coalesce((SELECT max(id) FROM delayed WHERE queue = ?1 AND priority = ?2), 0))
            """)
        defer { largest.reset() }
        try largest.bind(queue, at: 1)
        try largest.bind(priority, at: 2)
        return try largest.step() ? largest.int64(at: 0) : 0
    }

    // MARK: Receiving

    /// Moves delayed messages whose time has come into `messages`, keeping their ids.
    static func promoteDue(_ connection: Connection, queue: String, now: Int64) throws {
        guard try hasDueDelayed(connection, queue: queue, now: now) else { return }
        let move = try connection.cachedStatement("""
            INSERT INTO messages (queue, priority, id, enqueued_at, attempts, dedup_key, body)
            SELECT queue, priority, id, enqueued_at, attempts, dedup_key, body FROM delayed
            WHERE queue = ?1 AND available_at <= ?2
            """)
        defer { move.reset() }
        try move.bind(queue, at: 1)
        try move.bind(now, at: 2)
        try move.run()
        let delete = try connection.cachedStatement("DELETE FROM delayed WHERE queue = ?1 AND available_at <= ?2")
        defer { delete.reset() }
        try delete.bind(queue, at: 1)
        try delete.bind(now, at: 2)
        try delete.run()
    }

    private static func hasDueDelayed(_ connection: Connection, queue: String, now: Int64) throws -> Bool {
        let due = try connection.cachedStatement("SELECT 1 FROM delayed WHERE queue = ?1 AND available_at <= ?2 LIMIT 1")
        defer { due.reset() }
        try due.bind(queue, at: 1)
        try due.bind(now, at: 2)
        return try due.step()
    }

    /// Deletes and returns up to `limit` ready messages in delivery order.
    ///
    /// A `SELECT` of the first rows of the queue's range, then a `DELETE` of each by
    /// primary key: both seeks. (`DELETE … RETURNING` would be one statement, but
    /// SQLite builds a temporary table for every execution of it.)
    static func removeNext(_ connection: Connection, queue: String, limit: Int) throws -> [Message] {
        let next = try connection.cachedStatement(nextSQL)
        defer { next.reset() }
        try next.bind(queue, at: 1)
        try next.bind(limit, at: 2)
        var messages: [Message] = []
        while try next.step() {
            messages.append(message(from: next, queue: queue))
        }
        next.reset()
        let delete = try connection.cachedStatement(deleteSQL)
        defer { delete.reset() }
        for message in messages {
            delete.reset()
            try delete.bind(queue, at: 1)
            try delete.bind(message.priority, at: 2)
            try delete.bind(message.id, at: 3)
            try delete.run()
        }
        return messages
    }

    /// Whether a message could be received now (ready, or delayed and due).
    static func hasDeliverable(_ connection: Connection, queue: String, now: Int64) throws -> Bool {
        let check = try connection.cachedStatement("""
            SELECT EXISTS (SELECT 1 FROM messages WHERE queue = ?1 AND lease_until IS NULL)
                OR EXISTS (SELECT 1 FROM delayed WHERE queue = ?1 AND available_at <= ?2)
            """)
        defer { check.reset() }
        try check.bind(queue, at: 1)
        try check.bind(now, at: 2)
        return try check.step() && check.int64(at: 0) != 0
    }

    // MARK: Inspecting

    /// The next `limit` deliverable messages, without removing them.
    static func peek(_ connection: Connection, queue: String, limit: Int, now: Int64) throws -> [Message] {
        let ready = try connection.cachedStatement(nextSQL)
        defer { ready.reset() }
        try ready.bind(queue, at: 1)
        try ready.bind(limit, at: 2)
        var messages: [Message] = []
        while try ready.step() { messages.append(message(from: ready, queue: queue)) }

        let due = try connection.cachedStatement("""
            SELECT priority, id, enqueued_at, attempts + 1, body FROM delayed
            WHERE queue = ?1 AND available_at <= ?3 ORDER BY priority DESC, id LIMIT ?2
            """)
        defer { due.reset() }
        try due.bind(queue, at: 1)
        try due.bind(limit, at: 2)
        try due.bind(now, at: 3)
        while try due.step() { messages.append(message(from: due, queue: queue)) }
        return Array(messages.sorted(by: deliveredBefore).prefix(limit))
    }

    /// How many messages could be received now.
    static func deliverableCount(_ connection: Connection, queue: String, now: Int64) throws -> Int {
        let count = try connection.cachedStatement("""
            SELECT (SELECT count(*) FROM messages WHERE queue = ?1 AND lease_until IS NULL)
                 + (SELECT count(*) FROM delayed WHERE queue = ?1 AND available_at <= ?2)
            """)
        defer { count.reset() }
        try count.bind(queue, at: 1)
        try count.bind(now, at: 2)
        return try count.step() ? count.int(at: 0) : 0
    }

    /// Deletes every ready, leased and delayed message of `queue`.
    static func purge(_ connection: Connection, queue: String) throws -> Int {
        var total = 0
        for sql in ["DELETE FROM messages WHERE queue = ?1", "DELETE FROM delayed WHERE queue = ?1"] {
            let purge = try connection.cachedStatement(sql)
            defer { purge.reset() }
            try purge.bind(queue, at: 1)
            try purge.run()
            total += connection.changes
        }
        return total
    }

    /// Counts per queue.
    static func stats(_ connection: Connection, now: Int64) throws -> [QueueStats] {
        let stats = try connection.cachedStatement("""
            SELECT queue, sum(ready), sum(delayed), sum(leased), min(oldest) FROM (
                SELECT queue, sum(lease_until IS NULL) AS ready, 0 AS delayed,
                       sum(lease_until IS NOT NULL) AS leased,
                       min(CASE WHEN lease_until IS NULL THEN enqueued_at END) AS oldest
                FROM messages GROUP BY queue
                UNION ALL
                SELECT queue, sum(available_at <= ?1), sum(available_at > ?1), 0,
                       min(CASE WHEN available_at <= ?1 THEN enqueued_at END)
                FROM delayed GROUP BY queue)
            GROUP BY queue ORDER BY queue
            """)
        defer { stats.reset() }
        try stats.bind(now, at: 1)
        var result: [QueueStats] = []
        while try stats.step() {
            let oldest: Duration? = stats.isNull(at: 4)
                ? nil : .microseconds(max(0, now - stats.int64(at: 4)))
            result.append(QueueStats(
                name: stats.string(at: 0) ?? "",
                ready: stats.int(at: 1), delayed: stats.int(at: 2),
                leased: stats.int(at: 3), dead: 0,
                oldestReadyAge: oldest))
        }
        return result
    }

    private static func message(from row: Statement, queue: String) -> Message {
        Message(
            id: row.int64(at: 1), queue: queue, body: row.data(at: 4),
            priority: row.int(at: 0),
            enqueuedAt: Date(timeIntervalSince1970: Double(row.int64(at: 2)) / 1_000_000),
            attempt: row.int(at: 3))
    }

    private static func deliveredBefore(_ a: Message, _ b: Message) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.id < b.id
    }
}
