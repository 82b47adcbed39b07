import FoundationEssentials

/// The SQL behind queue administration: finding messages by id in any state, deleting
/// them, retrying chosen dead letters, moving messages between queues, dropping a queue.
///
/// A message of a queue is in one of three tables: `messages` (ready, leased, or delayed
/// by a nack: a `lease_until` without a receipt), `delayed` (put with a delay) or `dead`.
/// `messages` has no index by id, so finding one reads the queue's lanes.
extension MessageTable {
    // MARK: Finding

    /// Up to `limit` messages of `queue` in `states` with ids above `after`, in id order.
    static func stored(_ connection: Connection, queue: String, states: Set<StoredMessage.State>, after: Int64,
                       limit: Int, now: Int64) throws -> [StoredMessage] {
        try stored(connection, SQL.storedAfter, queue: queue, states: states, id: after, limit: limit, now: now)
    }

    /// The message `id` of `queue`, in whatever state it is.
    static func stored(_ connection: Connection, queue: String, id: Int64, now: Int64) throws -> StoredMessage? {
        try stored(connection, SQL.storedWithID, queue: queue, states: Set(StoredMessage.State.allCases), id: id,
                   limit: 1, now: now).first
    }

    private static func stored(_ connection: Connection, _ sql: PreparedSQL, queue: String, states: Set<StoredMessage.State>,
                               id: Int64, limit: Int, now: Int64) throws -> [StoredMessage] {
        let list = try connection.cachedStatement(sql)
        defer { list.reset() }
        try list.bind(queue, at: 1)
        try list.bind(now, at: 2)
        try list.bind(id, at: 3)
        try list.bind(states.reduce(0) { $0 | SQL.bit($1) }, at: 4)
        try list.bind(limit, at: 5)
        var found: [StoredMessage] = []
        while try list.step() {
            let state = SQL.states[list.int(at: 5)]
            // `attempts` counts deliveries made: the next one is one more.
            let attempts = list.int(at: 2)
            let message = Message(id: list.int64(at: 0), queue: queue, body: list.data(at: 4), priority: list.int(at: 3),
                                  enqueuedAt: Timestamp.date(list.int64(at: 1)),
                                  attempt: state == .leased || state == .dead ? attempts : attempts + 1)
            found.append(StoredMessage(message: message, state: state,
                                       at: list.isNull(at: 6) ? nil : Timestamp.date(list.int64(at: 6))))
        }
        return found
    }

    // MARK: Deleting

    /// Deletes the messages `ids` of `queue` from whichever table holds each, freeing
    /// their dedup keys; returns the ids found. One statement per table, whatever the
    /// number of ids: the queue's lanes are read once.
    static func delete(_ connection: Connection, queue: String, ids: [Int64], drained: DrainedLanes) throws -> Set<Int64> {
        let list = idList(ids)
        var found = Set<Int64>()
        var keys: [(key: String, id: Int64)] = []
        for sql in [SQL.deleteInLanes, SQL.deleteDelayed, SQL.deleteDead] {
            let delete = try connection.cachedStatement(sql)
            defer { delete.reset() }
            try delete.bind(queue, at: 1)
            try delete.bind(list, at: 2)
            while try delete.step() {
                found.insert(delete.int64(at: 0))
                if let key = delete.isNull(at: 1) ? nil : delete.string(at: 1) { keys.append((key, delete.int64(at: 0))) }
                if !delete.isNull(at: 2) { drained.note(Lane.number(of: delete.int64(at: 2))) }
            }
        }
        for (key, id) in keys { try forget(key: key, id: id, queue: queue, connection) }
        return found
    }

    /// Deletes everything `queue` holds, dead letters included; returns how many
    /// messages and dead letters went.
    static func drop(_ connection: Connection, queue: String) throws -> Int {
        try dropLimits(connection, queue: queue)
        return try purge(connection, queue: queue) + purgeDead(connection, queue: queue)
    }

    // MARK: Dead letters

    /// Appends the dead letters `ids` of `queue` to their lanes, in id order, with their
    /// ids and no attempts (as `retryDead(_:queue:)` does for all); returns the ids
    /// found, in order.
    static func retryDead(_ connection: Connection, queue: String, ids: [Int64]) throws -> [Int64] {
        let list = idList(ids)
        _ = try appendToLanes(connection, queue: queue, counts: SQL.retryChosenCounts, move: SQL.retryChosenMove) {
            try $0.bind(list, at: $1)
        }
        let delete = try connection.cachedStatement(SQL.deleteDead)
        defer { delete.reset() }
        try delete.bind(queue, at: 1)
        try delete.bind(list, at: 2)
        var found: [Int64] = []
        while try delete.step() { found.append(delete.int64(at: 0)) }
        return found.sorted()
    }

    /// `ids` as a JSON array, bound as one parameter for `json_each` to read: one
    /// statement serves any number of ids.
    private static func idList(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    // MARK: Moving

    /// Moves up to `limit` (`nil`: all) ready messages of `source` in delivery order, or
    /// with `dead` its dead letters oldest first, to `destination` as new messages
    /// (`Inserter`) with their body, priority and dedup key. Reads `batch` at a time, so
    /// a large queue is never in memory at once.
    static func move(_ connection: Connection, from source: String, to destination: String, limit: Int?, dead: Bool,
                     now: Int64, drained: DrainedLanes, batch: Int = 1_000) throws -> MoveResult {
        var inserter = Inserter(connection, queue: destination, now: now)
        var (moved, duplicates, taken) = (0, 0, 0)
        if !dead { try promoteDue(connection, queue: source, now: now) }
        while limit.map({ taken < $0 }) ?? true {
            let count = min(batch, limit.map { $0 - taken } ?? batch)
            let messages = dead ? try takeDead(connection, queue: source, limit: count)
                                : try removeReady(connection, queue: source, limit: count, now: now, drained: drained).map {
                                      OutgoingMessage($0.message.body, priority: $0.lane.priority, key: $0.key)
                                  }
            if messages.isEmpty { break }
            taken += messages.count
            for message in messages {
                if try inserter.insert(message).duplicate { duplicates += 1 } else { moved += 1 }
            }
        }
        try inserter.finish()
        return MoveResult(moved: moved, duplicates: duplicates)
    }

    /// Deletes and returns up to `limit` dead letters of `queue`, oldest first, as
    /// messages to put elsewhere.
    private static func takeDead(_ connection: Connection, queue: String, limit: Int) throws -> [OutgoingMessage] {
        let list = try connection.cachedStatement(SQL.takeDead)
        try list.bind(queue, at: 1)
        try list.bind(limit, at: 2)
        var last: Int64?
        var messages: [OutgoingMessage] = []
        while try list.step() {
            last = list.int64(at: 0)
            messages.append(OutgoingMessage(list.data(at: 2), priority: list.int(at: 1)))
        }
        list.reset()
        guard let last else { return [] }
        // The oldest ones, so every dead letter up to the last taken.
        let delete = try connection.cachedStatement(SQL.deleteDeadThrough)
        defer { delete.reset() }
        try delete.bind(queue, at: 1)
        try delete.bind(last, at: 2)
        try delete.run()
        return messages
    }
}

/// The SQL statements of this file, each prepared once per connection (`PreparedSQL`).
private enum SQL {
    /// `StoredMessage.State` by the number `stored` gives it in SQL.
    static let states: [StoredMessage.State] = [.ready, .delayed, .leased, .dead]

    /// The state's bit in the mask bound as `?4`.
    static func bit(_ state: StoredMessage.State) -> Int { 1 << states.firstIndex(of: state)! }

    /// Messages of queue `?1` at time `?2` whose id satisfies `idTest` (against `?3`) and
    /// whose state is in the mask `?4`, at most `?5`, in id order: id, enqueued_at,
    /// attempts, priority, body, state (index in `states`), and its time (due, lease end
    /// or death).
    private static func stored(_ idTest: String) -> PreparedSQL {
        PreparedSQL("""
            SELECT id, enqueued_at, attempts, priority, body, state, at FROM (
                SELECT m.id, m.enqueued_at, m.attempts, l.priority, m.body,
                       CASE WHEN m.lease_until IS NULL OR m.lease_until <= ?2 THEN 0
                            WHEN m.receipt IS NULL THEN 1 ELSE 2 END AS state,
                       CASE WHEN m.lease_until > ?2 THEN m.lease_until END AS at
                FROM lanes l JOIN messages m ON m.position BETWEEN \(Lane.positions(of: "l.lane"))
                WHERE l.queue = ?1 AND m.id \(idTest) AND ?4 & 7
                UNION ALL
                SELECT id, enqueued_at, attempts, priority, body, available_at > ?2, CASE WHEN available_at > ?2 THEN available_at END
                FROM delayed WHERE queue = ?1 AND id \(idTest) AND ?4 & 3
                UNION ALL
                SELECT id, enqueued_at, attempts, priority, body, 3, died_at
                FROM dead WHERE queue = ?1 AND id \(idTest) AND ?4 & 8)
            WHERE (?4 >> state) & 1 ORDER BY id LIMIT ?5
            """)
    }

    static let storedAfter = stored("> ?3")
    static let storedWithID = stored("= ?3")
    /// The rows whose id is in the JSON list bound at `parameter` (`idList`).
    private static func chosen(_ parameter: String = "?2") -> String { "id IN (SELECT value FROM json_each(\(parameter)))" }
    /// Deletes the messages of queue `?1` whose ids are in the list `?2`, from each
    /// table; each returns id, dedup key and position (`NULL` where the table has none).
    static let deleteInLanes = PreparedSQL("""
        DELETE FROM messages WHERE position IN (
            SELECT m.position FROM lanes l JOIN messages m ON m.position BETWEEN \(Lane.positions(of: "l.lane"))
            WHERE l.queue = ?1 AND m.\(chosen()))
        RETURNING id, dedup_key, position
        """)
    static let deleteDelayed = PreparedSQL("DELETE FROM delayed WHERE queue = ?1 AND \(chosen()) RETURNING id, dedup_key, NULL")
    static let deleteDead = PreparedSQL("DELETE FROM dead WHERE queue = ?1 AND \(chosen()) RETURNING id, NULL, NULL")
    static let retryChosenCounts = PreparedSQL("SELECT priority, count(*) FROM dead WHERE queue = ?1 AND \(chosen()) GROUP BY priority")
    static let retryChosenMove = PreparedSQL("""
        INSERT INTO messages (position, id, enqueued_at, attempts, body)
        SELECT ?3 + row_number() OVER (ORDER BY id) - 1, id, enqueued_at, 0, body FROM dead
        WHERE queue = ?1 AND priority = ?2 AND \(chosen("?4"))
        """)
    static let takeDead = PreparedSQL("SELECT id, priority, body FROM dead WHERE queue = ?1 ORDER BY id LIMIT ?2")
    static let deleteDeadThrough = PreparedSQL("DELETE FROM dead WHERE queue = ?1 AND id <= ?2")
}
