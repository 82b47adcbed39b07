import Foundation

/// The SQL behind queue operations, one function per statement. Every function runs
/// on a connection inside a transaction its caller opened.
///
/// Receiving is served by the index `messages_ready (queue, state, priority DESC, id)`:
/// the next message is an index seek, whatever the backlog. Delayed (and, later,
/// leased) rows wait in `messages_scheduled (queue, available_at)` and are moved to
/// `ready` when due.
enum MessageTable {
    static let columns = "id, priority, enqueued_at, attempts + 1, body"

    static let receiveSQL = """
        DELETE FROM messages WHERE id IN (
            SELECT id FROM messages WHERE queue = ?1 AND state = 0
            ORDER BY priority DESC, id LIMIT ?2)
        RETURNING \(columns)
        """

    static let promoteSQL = """
        UPDATE messages SET state = 0
        WHERE queue = ?1 AND state = 1 AND available_at <= ?2
        """

    /// Inserts one message, or finds the message already holding its dedup key.
    static func insert(_ connection: Connection, queue: String, message: OutgoingMessage, now: Int64) throws -> PutResult {
        let delay = max(0, Timestamp.microseconds(message.delay))
        let insert = try connection.cachedStatement("""
            INSERT INTO messages (queue, state, priority, available_at, enqueued_at, dedup_key, body)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (queue, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
            """)
        defer { insert.reset() }
        try insert.bind(queue, at: 1)
        try insert.bind(delay > 0 ? MessageState.delayed.rawValue : MessageState.ready.rawValue, at: 2)
        try insert.bind(message.priority, at: 3)
        try insert.bind(now.addingReportingOverflow(delay).overflow ? Int64.max : now + delay, at: 4)
        try insert.bind(now, at: 5)
        try insert.bind(message.key, at: 6)
        try insert.bind(message.body, at: 7)
        // No RETURNING: SQLite builds a temporary table for it on every execution.
        try insert.run()
        if connection.changes == 1 {
            return PutResult(id: connection.lastInsertRowID, duplicate: false)
        }
        guard let key = message.key else {
            throw DQError(.internalError, "insert into \(queue) returned no id")
        }
        let existing = try connection.cachedStatement("SELECT id FROM messages WHERE queue = ?1 AND dedup_key = ?2")
        defer { existing.reset() }
        try existing.bind(queue, at: 1)
        try existing.bind(key, at: 2)
        guard try existing.step() else {
            throw DQError(.internalError, "dedup key \(key) conflicted but no message holds it")
        }
        return PutResult(id: existing.int64(at: 0), duplicate: true)
    }

    /// Moves delayed messages whose time has come to `ready`.
    static func promoteDue(_ connection: Connection, queue: String, now: Int64) throws {
        let promote = try connection.cachedStatement(promoteSQL)
        defer { promote.reset() }
        try promote.bind(queue, at: 1)
        try promote.bind(now, at: 2)
        try promote.run()
    }

    /// Deletes and returns up to `limit` ready messages in delivery order.
    static func removeNext(_ connection: Connection, queue: String, limit: Int) throws -> [Message] {
        let receive = try connection.cachedStatement(receiveSQL)
        defer { receive.reset() }
        try receive.bind(queue, at: 1)
        try receive.bind(limit, at: 2)
        var messages: [Message] = []
        while try receive.step() {
            messages.append(message(from: receive, queue: queue))
        }
        // RETURNING yields rows in no promised order.
        return messages.count > 1 ? messages.sorted(by: deliveredBefore) : messages
    }

    /// Whether a message could be received now (ready, or delayed and due).
    static func hasDeliverable(_ connection: Connection, queue: String, now: Int64) throws -> Bool {
        let check = try connection.cachedStatement("""
            SELECT EXISTS (SELECT 1 FROM messages WHERE queue = ?1 AND state = 0)
                OR EXISTS (SELECT 1 FROM messages WHERE queue = ?1 AND state = 1 AND available_at <= ?2)
            """)
        defer { check.reset() }
        try check.bind(queue, at: 1)
        try check.bind(now, at: 2)
        return try check.step() && check.int64(at: 0) != 0
    }

    /// The next `limit` deliverable messages, without removing them.
    static func peek(_ connection: Connection, queue: String, limit: Int, now: Int64) throws -> [Message] {
        let ready = try connection.cachedStatement("""
            SELECT \(columns) FROM messages WHERE queue = ?1 AND state = 0
            ORDER BY priority DESC, id LIMIT ?2
            """)
        defer { ready.reset() }
        try ready.bind(queue, at: 1)
        try ready.bind(limit, at: 2)
        var messages: [Message] = []
        while try ready.step() { messages.append(message(from: ready, queue: queue)) }

        let due = try connection.cachedStatement("""
            SELECT \(columns) FROM messages WHERE queue = ?1 AND state = 1 AND available_at <= ?3
            ORDER BY priority DESC, id LIMIT ?2
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
            SELECT (SELECT count(*) FROM messages WHERE queue = ?1 AND state = 0)
                 + (SELECT count(*) FROM messages WHERE queue = ?1 AND state = 1 AND available_at <= ?2)
            """)
        defer { count.reset() }
        try count.bind(queue, at: 1)
        try count.bind(now, at: 2)
        return try count.step() ? count.int(at: 0) : 0
    }

    /// Deletes every ready, delayed and leased message of `queue`; dead letters stay.
    static func purge(_ connection: Connection, queue: String) throws -> Int {
        let purge = try connection.cachedStatement("DELETE FROM messages WHERE queue = ?1 AND state IN (0, 1, 2)")
        defer { purge.reset() }
        try purge.bind(queue, at: 1)
        try purge.run()
        return connection.changes
    }

    /// Counts per queue and state.
    static func stats(_ connection: Connection, now: Int64) throws -> [QueueStats] {
        let stats = try connection.cachedStatement("""
            SELECT queue,
                   sum(state = 0 OR (state = 1 AND available_at <= ?1)),
                   sum(state = 1 AND available_at > ?1),
                   sum(state = 2),
                   sum(state = 3),
                   min(CASE WHEN state = 0 OR (state = 1 AND available_at <= ?1) THEN enqueued_at END)
            FROM messages GROUP BY queue ORDER BY queue
            """)
        defer { stats.reset() }
        try stats.bind(now, at: 1)
        var result: [QueueStats] = []
        while try stats.step() {
            let oldest: Duration? = stats.isNull(at: 5)
                ? nil : .microseconds(max(0, now - stats.int64(at: 5)))
            result.append(QueueStats(
                name: stats.string(at: 0) ?? "",
                ready: stats.int(at: 1), delayed: stats.int(at: 2),
                leased: stats.int(at: 3), dead: stats.int(at: 4),
                oldestReadyAge: oldest))
        }
        return result
    }

    private static func message(from row: Statement, queue: String) -> Message {
        Message(
            id: row.int64(at: 0), queue: queue, body: row.data(at: 4),
            priority: row.int(at: 1),
            enqueuedAt: Date(timeIntervalSince1970: Double(row.int64(at: 2)) / 1_000_000),
            attempt: row.int(at: 3))
    }

    private static func deliveredBefore(_ a: Message, _ b: Message) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.id < b.id
    }
}
