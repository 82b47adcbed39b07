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

    /// Deletes the message `id` of `queue` from whichever table holds it, freeing its
    /// dedup key; returns whether there was one.
    static func delete(_ connection: Connection, queue: String, id: Int64, drained: DrainedLanes) throws -> Bool {
        var found = false
        let find = try connection.cachedStatement(SQL.findInLanes)
        try find.bind(queue, at: 1)
        try find.bind(id, at: 2)
        var rows: [(position: Int64, key: String?)] = []
        while try find.step() { rows.append((find.int64(at: 0), find.isNull(at: 1) ? nil : find.string(at: 1))) }
        find.reset()
        let delete = try connection.cachedStatement(deleteSQL)
        for row in rows {
            delete.reset()
            try delete.bind(row.position, at: 1)
            try delete.run()
            if let key = row.key { try forget(key: key, queue: queue, connection) }
            drained.note(Lane.number(of: row.position))
            found = true
        }
        delete.reset()
        let delayed = try connection.cachedStatement(SQL.deleteDelayed)
        try delayed.bind(queue, at: 1)
        try delayed.bind(id, at: 2)
        var keys: [String] = []
        while try delayed.step() {
            found = true
            if let key = delayed.string(at: 0) { keys.append(key) }
        }
        delayed.reset()
        for key in keys { try forget(key: key, queue: queue, connection) }
        let dead = try connection.cachedStatement(SQL.deleteDead)
        defer { dead.reset() }
        try dead.bind(queue, at: 1)
        try dead.bind(id, at: 2)
        try dead.run()
        return found || connection.changes > 0
    }

    /// Deletes everything `queue` holds, dead letters included; returns how many
    /// messages and dead letters went.
    static func drop(_ connection: Connection, queue: String) throws -> Int {
        try purge(connection, queue: queue) + purgeDead(connection, queue: queue)
    }

    // MARK: Dead letters

    /// Appends the dead letters `ids` of `queue` to their lanes, in id order, with their
    /// ids and no attempts (as `retryDead(_:queue:)` does for all); returns the ids found.
    static func retryDead(_ connection: Connection, queue: String, ids: [Int64]) throws -> [Int64] {
        let find = try connection.cachedStatement(SQL.deadPriority)
        var found: [(id: Int64, priority: Int)] = []
        for id in Set(ids).sorted() {
            find.reset()
            try find.bind(queue, at: 1)
            try find.bind(id, at: 2)
            if try find.step() { found.append((id, find.int(at: 0))) }
        }
        find.reset()
        let move = try connection.cachedStatement(SQL.retryOne)
        defer { move.reset() }
        // One reservation per lane and transaction (see `Lanes.reserve`).
        for priority in Set(found.map(\.priority)) {
            let rows = found.filter { $0.priority == priority }
            let first = try Lanes.reserve(Int64(rows.count), queue: queue, priority: priority, connection)
            for (offset, row) in rows.enumerated() {
                move.reset()
                try move.bind(first + Int64(offset), at: 1)
                try move.bind(queue, at: 2)
                try move.bind(row.id, at: 3)
                try move.run()
            }
        }
        try deleteDead(connection, queue: queue, ids: found.map(\.id))
        return found.map(\.id)
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
                                : try takeReady(connection, queue: source, limit: count, now: now, drained: drained)
            if messages.isEmpty { break }
            taken += messages.count
            for message in messages {
                if try inserter.insert(message).duplicate { duplicates += 1 } else { moved += 1 }
            }
        }
        try inserter.finish()
        return MoveResult(moved: moved, duplicates: duplicates)
    }

    /// Deletes and returns up to `limit` ready messages of `queue` in delivery order, as
    /// messages to put elsewhere.
    private static func takeReady(_ connection: Connection, queue: String, limit: Int, now: Int64,
                                  drained: DrainedLanes) throws -> [OutgoingMessage] {
        let rows = try ready(connection, queue: queue, limit: limit, now: now)
        let delete = try connection.cachedStatement(deleteSQL)
        defer { delete.reset() }
        for row in rows {
            delete.reset()
            try delete.bind(row.position, at: 1)
            try delete.run()
            if let key = row.key { try forget(key: key, queue: queue, connection) }
            drained.note(row.lane.number)
        }
        return rows.map { OutgoingMessage($0.message.body, priority: $0.lane.priority, key: $0.key) }
    }

    /// Deletes and returns up to `limit` dead letters of `queue`, oldest first, as
    /// messages to put elsewhere.
    private static func takeDead(_ connection: Connection, queue: String, limit: Int) throws -> [OutgoingMessage] {
        let list = try connection.cachedStatement(SQL.takeDead)
        try list.bind(queue, at: 1)
        try list.bind(limit, at: 2)
        var rows: [(id: Int64, message: OutgoingMessage)] = []
        while try list.step() { rows.append((list.int64(at: 0), OutgoingMessage(list.data(at: 2), priority: list.int(at: 1)))) }
        list.reset()
        try deleteDead(connection, queue: queue, ids: rows.map(\.id))
        return rows.map(\.message)
    }

    /// Deletes the dead letters `ids` of `queue`.
    private static func deleteDead(_ connection: Connection, queue: String, ids: [Int64]) throws {
        let delete = try connection.cachedStatement(SQL.deleteDead)
        defer { delete.reset() }
        for id in ids {
            delete.reset()
            try delete.bind(queue, at: 1)
            try delete.bind(id, at: 2)
            try delete.run()
        }
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
    static let findInLanes = PreparedSQL("""
        SELECT m.position, m.dedup_key FROM lanes l JOIN messages m ON m.position BETWEEN \(Lane.positions(of: "l.lane"))
        WHERE l.queue = ?1 AND m.id = ?2
        """)
    static let deleteDelayed = PreparedSQL("DELETE FROM delayed WHERE queue = ?1 AND id = ?2 RETURNING dedup_key")
    static let deleteDead = PreparedSQL("DELETE FROM dead WHERE queue = ?1 AND id = ?2")
    static let deadPriority = PreparedSQL("SELECT priority FROM dead WHERE queue = ?1 AND id = ?2")
    static let retryOne = PreparedSQL("""
        INSERT INTO messages (position, id, enqueued_at, attempts, body)
        SELECT ?1, id, enqueued_at, 0, body FROM dead WHERE queue = ?2 AND id = ?3
        """)
    static let takeDead = PreparedSQL("SELECT id, priority, body FROM dead WHERE queue = ?1 ORDER BY id LIMIT ?2")
}
