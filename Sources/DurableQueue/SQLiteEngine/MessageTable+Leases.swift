/// The SQL behind leases (at-least-once delivery) and dead letters.
///
/// A leased row stays in its lane with `lease_until` (when it becomes deliverable
/// again) and `receipt` (the token that settles this one delivery). A nack with a
/// delay keeps `lease_until` and clears the receipt. Each delivery increments
/// `attempts`; a message that has had `maxAttempts` deliveries and comes back (nack or
/// lease expiry) moves to `dead`.
extension MessageTable {
    /// Leases up to `limit` deliverable messages until `until` (µs), burying on the way
    /// those that already had `maxAttempts` deliveries.
    static func lease(_ connection: Connection, queue: String, limit: Int, now: Int64, until: Int64,
                      maxAttempts: Int, holder: Int64?, drained: DrainedLanes) throws -> [LeasedMessage] {
        var leased: [LeasedMessage] = []
        let update = try connection.cachedStatement(SQL.leaseUpdate)
        defer { update.reset() }
        // Another pass only takes the places of messages this one buried.
        var buried = 1
        while leased.count < limit && buried > 0 {
            let rows = try ready(connection, queue: queue, limit: limit - leased.count, now: now)
            buried = 0
            for row in rows {
                if row.message.attempt > maxAttempts {
                    try bury(connection, queue: queue, position: row.position, priority: row.lane.priority, now: now,
                             failure: unsettled(deliveries: row.message.attempt - 1))
                    drained.note(row.lane.number)
                    buried += 1
                    continue
                }
                let token = Receipt.token(hasKey: row.key != nil)
                update.reset()
                try update.bind(row.position, at: 1)
                try update.bind(until, at: 2)
                try update.bind(token, at: 3)
                try update.bind(holder, at: 4)
                try update.run()
                if let key = row.key {
                    let free = try connection.cachedStatement(SQL.startedKeyFree)
                    defer { free.reset() }
                    try free.bind(queue, at: 1)
                    try free.bind(key, at: 2)
                    try free.bind(row.message.id, at: 3)
                    try free.run()
                }
                leased.append(LeasedMessage(message: row.message,
                                            receipt: Receipt(position: row.position, id: row.message.id, token: token),
                                            leasedUntil: Timestamp.date(until)))
            }
        }
        return leased
    }

    /// The reason a message buried on its way out records: it came back from its last
    /// delivery without being settled.
    private static func unsettled(deliveries: Int) -> DeliveryFailure {
        DeliveryFailure("not settled after \(deliveries) deliveries: its lease ran out or its consumer died")
    }

    /// Binds what every statement that settles a delivery checks (`SQL.delivery`): `?1`
    /// the position `receipt` names, `?2` its token, `?3` its lane and `?4` the queue that
    /// lane must belong to.
    private static func bind(_ receipt: Receipt, queue: String, to statement: Statement) throws {
        try statement.bind(receipt.position, at: 1)
        try statement.bind(receipt.token, at: 2)
        try statement.bind(Lane.number(of: receipt.position), at: 3)
        try statement.bind(queue, at: 4)
    }

    /// The priority of the lane and the attempts of the delivery `receipt` names, if it
    /// is still current and in a lane of `queue`.
    private static func find(_ connection: Connection, queue: String, receipt: Receipt) throws -> (priority: Int, attempts: Int)? {
        let find = try connection.cachedStatement(SQL.find)
        defer { find.reset() }
        try bind(receipt, queue: queue, to: find)
        return try find.step() ? (find.int(at: 0), find.int(at: 1)) : nil
    }

    /// Deletes the delivered message. Returns `false` if the receipt is stale.
    ///
    /// One `DELETE … WHERE position = ? AND receipt = ?`, on a lane of `queue`; the
    /// receipt also says whether the message holds a dedup key, read first to free it.
    static func ack(_ connection: Connection, queue: String, receipt: Receipt, drained: DrainedLanes) throws -> Bool {
        let key = receipt.hasKey ? try dedupKey(at: receipt.position, connection) : nil
        let delete = try connection.cachedStatement(SQL.ackDelete)
        defer { delete.reset() }
        try bind(receipt, queue: queue, to: delete)
        try delete.run()
        guard connection.changes == 1 else { return false }
        if let key { try forget(key: key, id: receipt.id, queue: queue, connection) }
        drained.note(Lane.number(of: receipt.position))
        return true
    }

    /// The queue whose lane holds the current delivery `receipt` names, whichever queue
    /// that is; `nil` if the receipt is stale.
    static func queue(ofReceipt receipt: Receipt, _ connection: Connection) throws -> String? {
        let find = try connection.cachedStatement(SQL.ownerFind)
        defer { find.reset() }
        try find.bind(receipt.position, at: 1)
        try find.bind(receipt.token, at: 2)
        try find.bind(Lane.number(of: receipt.position), at: 3)
        return try find.step() ? find.string(at: 0) : nil
    }

    /// Returns the message to the queue (deliverable at `until`, or at once when `nil`),
    /// or buries it with `failure` after `maxAttempts` deliveries. Returns `false` if the
    /// receipt is stale.
    static func nack(_ connection: Connection, queue: String, receipt: Receipt, until: Int64?, now: Int64,
                     maxAttempts: Int, failure: DeliveryFailure?, drained: DrainedLanes) throws -> Bool {
        guard let found = try find(connection, queue: queue, receipt: receipt) else { return false }
        if found.attempts >= maxAttempts {
            try bury(connection, queue: queue, position: receipt.position, priority: found.priority, now: now,
                     failure: failure)
            drained.note(Lane.number(of: receipt.position))
            return true
        }
        let release = try connection.cachedStatement(SQL.nackRelease)
        defer { release.reset() }
        try release.bind(receipt.position, at: 1)
        try release.bind(until, at: 2)
        try release.run()
        return true
    }

    /// Returns the message at once and takes back the attempt its delivery counted.
    /// Returns `false` if the receipt is stale.
    static func release(_ connection: Connection, queue: String, receipt: Receipt) throws -> Bool {
        let giveBack = try connection.cachedStatement(SQL.releaseGiveBack)
        defer { giveBack.reset() }
        try bind(receipt, queue: queue, to: giveBack)
        try giveBack.run()
        return connection.changes == 1
    }

    /// Moves the lease's end to `until`. Returns `false` if the receipt is stale.
    static func extend(_ connection: Connection, queue: String, receipt: Receipt, until: Int64) throws -> Bool {
        let extend = try connection.cachedStatement(SQL.extend)
        defer { extend.reset() }
        try bind(receipt, queue: queue, to: extend)
        try extend.bind(until, at: 5)
        try extend.run()
        return connection.changes == 1
    }

    /// Moves the message at `position` to the dead letters of `queue`, dead since `now`
    /// because of `failure`.
    static func bury(_ connection: Connection, queue: String, position: Int64, priority: Int, now: Int64,
                     failure: DeliveryFailure?) throws {
        let move = try connection.cachedStatement(SQL.buryMove)
        try move.bind(position, at: 1)
        try move.bind(queue, at: 2)
        try move.bind(priority, at: 3)
        try move.bind(now, at: 4)
        try move.bind(failure?.error, at: 5)
        try move.bind(failure?.exitStatus.map(Int64.init), at: 6)
        try move.bind(failure?.signal.map(Int64.init), at: 7)
        try move.run()
        move.reset()
        // The row goes, and tells its dedup key as it does.
        let delete = try connection.cachedStatement(SQL.buryDelete)
        try delete.bind(position, at: 1)
        let found = try delete.step()
        let key = found && !delete.isNull(at: 0) ? delete.string(at: 0) : nil
        let id = found ? delete.int64(at: 1) : 0
        delete.reset()
        if let key { try forget(key: key, id: id, queue: queue, connection) }
    }

    /// The dedup key of the message at `position`, if it holds one: what frees it
    /// (`forget(key:id:queue:_:)`, a seek; `dedup` has no index by id).
    private static func dedupKey(at position: Int64, _ connection: Connection) throws -> String? {
        let read = try connection.cachedStatement(SQL.dedupKey)
        defer { read.reset() }
        try read.bind(position, at: 1)
        return try read.step() ? read.string(at: 0) : nil
    }

    /// Makes every lease `holder` holds in any queue deliverable again at once (the
    /// holder died), and forgets the holder. Returns the queues its leases were in, once
    /// each, and how many came back.
    static func releaseLeases(_ connection: Connection, holder: Int64) throws -> (count: Int, queues: [String]) {
        let release = try connection.cachedStatement(SQL.releaseLeases)
        try release.bind(holder, at: 1)
        var queues = Set<String>()
        var count = 0
        while try release.step() {
            if let queue = release.string(at: 0) { queues.insert(queue) }
            count += 1
        }
        release.reset()
        let forget = try connection.cachedStatement(SQL.releaseLeasesForget)
        defer { forget.reset() }
        try forget.bind(holder, at: 1)
        try forget.run()
        return (count, queues.sorted())
    }

    /// How many leases ran out without being settled or delivered again.
    static func expiredLeases(_ connection: Connection, now: Int64) throws -> Int {
        let count = try connection.cachedStatement(SQL.expiredLeasesCount)
        defer { count.reset() }
        try count.bind(now, at: 1)
        return try count.step() ? count.int(at: 0) : 0
    }

    // MARK: Dead letters

    static func deadLetters(_ connection: Connection, queue: String, limit: Int) throws -> [DeadLetter] {
        let list = try connection.cachedStatement(SQL.deadLettersList)
        defer { list.reset() }
        try list.bind(queue, at: 1)
        try list.bind(limit, at: 2)
        var dead: [DeadLetter] = []
        while try list.step() {
            let message = Message(id: list.int64(at: 0), queue: queue, body: list.data(at: 4), priority: list.int(at: 3),
                                  enqueuedAt: Timestamp.date(list.int64(at: 1)), attempt: list.int(at: 2))
            let failure = list.isNull(at: 6) ? nil : DeliveryFailure(
                list.string(at: 6) ?? "", exitStatus: list.isNull(at: 7) ? nil : list.int(at: 7),
                signal: list.isNull(at: 8) ? nil : list.int(at: 8))
            dead.append(DeadLetter(message: message, deadAt: Timestamp.date(list.int64(at: 5)), failure: failure))
        }
        return dead
    }

    /// Appends every dead letter of `queue` to its lane, with its id and no attempts.
    static func retryDead(_ connection: Connection, queue: String) throws -> Int {
        let moved = try appendToLanes(connection, queue: queue, counts: SQL.retryDeadCounts, move: SQL.retryDeadMove)
        _ = try purgeDead(connection, queue: queue)
        return moved
    }

    static func purgeDead(_ connection: Connection, queue: String) throws -> Int {
        let purge = try connection.cachedStatement(SQL.purgeDead)
        defer { purge.reset() }
        try purge.bind(queue, at: 1)
        try purge.run()
        return connection.changes
    }
}

/// The SQL statements of this file, each prepared once per connection (`PreparedSQL`).
private enum SQL {
    /// The delivery a receipt names (`MessageTable.bind(_:queue:to:)`): its row, still
    /// holding its token, in a lane of its queue.
    static let delivery = "position = ?1 AND receipt = ?2 AND EXISTS (SELECT 1 FROM lanes WHERE lane = ?3 AND queue = ?4)"
    static let leaseUpdate = PreparedSQL("""
        UPDATE messages SET lease_until = ?2, receipt = ?3, holder = ?4, attempts = attempts + 1 WHERE position = ?1
        """)
    static let find = PreparedSQL("""
        SELECT l.priority, m.attempts FROM messages m JOIN lanes l ON l.lane = ?3 AND l.queue = ?4
        WHERE m.position = ?1 AND m.receipt = ?2
        """)
    static let ackDelete = PreparedSQL("DELETE FROM messages WHERE \(delivery)")
    static let ownerFind = PreparedSQL("""
        SELECT l.queue FROM messages m JOIN lanes l ON l.lane = ?3 WHERE m.position = ?1 AND m.receipt = ?2
        """)
    static let nackRelease = PreparedSQL("UPDATE messages SET lease_until = ?2, receipt = NULL, holder = NULL WHERE position = ?1")
    static let releaseGiveBack = PreparedSQL("""
        UPDATE messages SET lease_until = NULL, receipt = NULL, holder = NULL, attempts = max(attempts - 1, 0)
        WHERE \(delivery)
        """)
    static let extend = PreparedSQL("UPDATE messages SET lease_until = ?5 WHERE \(delivery)")
    static let buryMove = PreparedSQL("""
        INSERT INTO dead (queue, id, priority, enqueued_at, attempts, died_at, body, last_error, exit_status, signal)
        SELECT ?2, id, ?3, enqueued_at, attempts, ?4, body, ?5, ?6, ?7 FROM messages WHERE position = ?1
        """)
    static let dedupKey = PreparedSQL("SELECT dedup_key FROM messages WHERE position = ?1")
    static let buryDelete = PreparedSQL("DELETE FROM messages WHERE position = ?1 RETURNING dedup_key, id")
    /// Frees the key `?2` of queue `?1` held by message `?3` if it was put to be unique
    /// only until delivered (`UniqueUntil.started`).
    static let startedKeyFree = PreparedSQL("DELETE FROM dedup WHERE queue = ?1 AND key = ?2 AND id = ?3 AND until_started = 1")
    static let releaseLeases = PreparedSQL("""
        UPDATE messages SET lease_until = NULL, receipt = NULL, holder = NULL WHERE holder = ?1
        RETURNING (SELECT queue FROM lanes WHERE lane = position >> \(Lane.sequenceBits))
        """)
    static let releaseLeasesForget = PreparedSQL("DELETE FROM holders WHERE id = ?1")
    static let expiredLeasesCount = PreparedSQL("SELECT count(*) FROM messages WHERE receipt IS NOT NULL AND lease_until <= ?1")
    static let deadLettersList = PreparedSQL("""
        SELECT id, enqueued_at, attempts, priority, body, died_at, last_error, exit_status, signal
        FROM dead WHERE queue = ?1 ORDER BY id LIMIT ?2
        """)
    static let retryDeadCounts = PreparedSQL("SELECT priority, count(*) FROM dead WHERE queue = ?1 GROUP BY priority")
    static let retryDeadMove = PreparedSQL("""
        INSERT INTO messages (position, id, enqueued_at, attempts, body)
        SELECT ?3 + row_number() OVER (ORDER BY id) - 1, id, enqueued_at, 0, body FROM dead WHERE queue = ?1 AND priority = ?2
        """)
    static let purgeDead = PreparedSQL("DELETE FROM dead WHERE queue = ?1")
}
