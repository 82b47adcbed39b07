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
                      maxAttempts: Int, holder: Int64?) throws -> [LeasedMessage] {
        var leased: [LeasedMessage] = []
        for lane in try Lanes.all(connection, queue: queue) where leased.count < limit {
            let next = try statement(connection, lane, .next) { nextSQL(lane) }
            let update = try statement(connection, lane, .lease) {
                """
                UPDATE \(lane.table) SET lease_until = ?2, receipt = ?3, holder = ?4, attempts = attempts + 1
                WHERE id = ?1
                """
            }
            while leased.count < limit {
                try next.bind(limit - leased.count, at: 1)
                try next.bind(now, at: 2)
                var rows: [(message: Message, hasKey: Bool)] = []
                while try next.step() {
                    rows.append((message(from: next, queue: queue, priority: lane.priority), !next.isNull(at: 3)))
                }
                next.reset()
                if rows.isEmpty { break }
                for (row, hasKey) in rows {
                    if row.attempt > maxAttempts {
                        try bury(connection, queue: queue, lane: lane, id: row.id, now: now)
                        continue
                    }
                    let token = Receipt.token(hasKey: hasKey)
                    defer { update.reset() }
                    try update.bind(row.id, at: 1)
                    try update.bind(until, at: 2)
                    try update.bind(token, at: 3)
                    try update.bind(holder, at: 4)
                    try update.run()
                    leased.append(LeasedMessage(message: row, receipt: Receipt(lane: lane.id, id: row.id, token: token),
                                                leasedUntil: Timestamp.date(until)))
                }
            }
        }
        return leased
    }

    /// The lane `receipt` names, if it is a lane of `queue`.
    private static func lane(of receipt: Receipt, queue: String, _ connection: Connection, lanes: LaneDirectory) throws -> Lane? {
        if let lane = lanes.lane(id: receipt.lane, queue: queue) { return lane }
        let find = try connection.cachedStatement("SELECT queue, priority FROM lanes WHERE id = ?1")
        defer { find.reset() }
        try find.bind(receipt.lane, at: 1)
        guard try find.step(), find.string(at: 0) == queue else { return nil }
        let lane = Lane(id: receipt.lane, priority: find.int(at: 1))
        lanes.remember(queue: queue, lane: lane)
        return lane
    }

    /// The lane and attempts of the delivery `receipt` names, if it is still current.
    private static func find(_ connection: Connection, queue: String, receipt: Receipt,
                             lanes: LaneDirectory) throws -> (lane: Lane, attempts: Int)? {
        guard let lane = try lane(of: receipt, queue: queue, connection, lanes: lanes) else { return nil }
        let find = try statement(connection, lane, .settleFind) {
            "SELECT attempts FROM \(lane.table) WHERE id = ?1 AND receipt = ?2"
        }
        defer { find.reset() }
        try find.bind(receipt.id, at: 1)
        try find.bind(receipt.token, at: 2)
        guard try find.step() else { return nil }
        return (lane, find.int(at: 0))
    }

    /// Deletes the delivered message. Returns `false` if the receipt is stale.
    ///
    /// One `DELETE … WHERE id = ? AND receipt = ?` on the lane the receipt names; the
    /// receipt also says whether a dedup key must be forgotten.
    static func ack(_ connection: Connection, queue: String, receipt: Receipt, lanes: LaneDirectory) throws -> Bool {
        guard let lane = try lane(of: receipt, queue: queue, connection, lanes: lanes) else { return false }
        let delete = try statement(connection, lane, .ackDelete) {
            "DELETE FROM \(lane.table) WHERE id = ?1 AND receipt = ?2"
        }
        defer { delete.reset() }
        try delete.bind(receipt.id, at: 1)
        try delete.bind(receipt.token, at: 2)
        try delete.run()
        guard connection.changes == 1 else { return false }
        if receipt.hasKey { try forgetKey(ofMessage: receipt.id, queue: queue, connection) }
        return true
    }

    /// Returns the message to the queue (deliverable at `until`, or at once when `nil`),
    /// or buries it after `maxAttempts` deliveries. Returns `false` if the receipt is stale.
    static func nack(_ connection: Connection, queue: String, receipt: Receipt, until: Int64?, now: Int64,
                     maxAttempts: Int, lanes: LaneDirectory) throws -> Bool {
        guard let found = try find(connection, queue: queue, receipt: receipt, lanes: lanes) else { return false }
        if found.attempts >= maxAttempts {
            try bury(connection, queue: queue, lane: found.lane, id: receipt.id, now: now)
            return true
        }
        let release = try statement(connection, found.lane, .release) {
            "UPDATE \(found.lane.table) SET lease_until = ?2, receipt = NULL, holder = NULL WHERE id = ?1"
        }
        defer { release.reset() }
        try release.bind(receipt.id, at: 1)
        try release.bind(until, at: 2)
        try release.run()
        return true
    }

    /// Returns the message at once and takes back the attempt its delivery counted.
    /// Returns `false` if the receipt is stale.
    static func release(_ connection: Connection, queue: String, receipt: Receipt, lanes: LaneDirectory) throws -> Bool {
        guard let lane = try lane(of: receipt, queue: queue, connection, lanes: lanes) else { return false }
        let giveBack = try statement(connection, lane, .giveBack) {
            """
            UPDATE \(lane.table) SET lease_until = NULL, receipt = NULL, holder = NULL,
                attempts = max(attempts - 1, 0) WHERE id = ?1 AND receipt = ?2
            """
        }
        defer { giveBack.reset() }
        try giveBack.bind(receipt.id, at: 1)
        try giveBack.bind(receipt.token, at: 2)
        try giveBack.run()
        return connection.changes == 1
    }

    /// Moves the lease's end to `until`. Returns `false` if the receipt is stale.
    static func extend(_ connection: Connection, queue: String, receipt: Receipt, until: Int64,
                       lanes: LaneDirectory) throws -> Bool {
        guard let lane = try lane(of: receipt, queue: queue, connection, lanes: lanes) else { return false }
        let extend = try statement(connection, lane, .extend) {
            "UPDATE \(lane.table) SET lease_until = ?2 WHERE id = ?1 AND receipt = ?3"
        }
        defer { extend.reset() }
        try extend.bind(receipt.id, at: 1)
        try extend.bind(until, at: 2)
        try extend.bind(receipt.token, at: 3)
        try extend.run()
        return connection.changes == 1
    }

    /// Moves a message from its lane to the dead letters.
    static func bury(_ connection: Connection, queue: String, lane: Lane, id: Int64, now: Int64) throws {
        let move = try statement(connection, lane, .bury) {
            """
            INSERT INTO dead (queue, id, priority, enqueued_at, attempts, died_at, body)
            SELECT ?2, id, ?3, enqueued_at, attempts, ?4, body FROM \(lane.table) WHERE id = ?1
            """
        }
        defer { move.reset() }
        try move.bind(id, at: 1)
        try move.bind(queue, at: 2)
        try move.bind(lane.priority, at: 3)
        try move.bind(now, at: 4)
        try move.run()
        let delete = try statement(connection, lane, .delete) { deleteSQL(lane) }
        defer { delete.reset() }
        try delete.bind(id, at: 1)
        try delete.run()
        try forgetKey(ofMessage: id, queue: queue, connection)
    }

    /// Frees the dedup key of message `id`, if it held one.
    private static func forgetKey(ofMessage id: Int64, queue: String, _ connection: Connection) throws {
        let forget = try connection.cachedStatement("DELETE FROM dedup WHERE queue = ?1 AND id = ?2")
        defer { forget.reset() }
        try forget.bind(queue, at: 1)
        try forget.bind(id, at: 2)
        try forget.run()
    }

    /// Makes every lease `holder` holds in any queue deliverable again at once (the
    /// holder died), and forgets the holder.
    static func releaseLeases(_ connection: Connection, holder: Int64) throws -> Int {
        var released = 0
        for (_, lane) in try Lanes.everyQueue(connection) {
            let release = try statement(connection, lane, .releaseHolder) {
                "UPDATE \(lane.table) SET lease_until = NULL, receipt = NULL, holder = NULL WHERE holder = ?1"
            }
            defer { release.reset() }
            try release.bind(holder, at: 1)
            try release.run()
            released += connection.changes
        }
        let forget = try connection.cachedStatement("DELETE FROM holders WHERE id = ?1")
        defer { forget.reset() }
        try forget.bind(holder, at: 1)
        try forget.run()
        return released
    }

    // MARK: Dead letters

    static func deadLetters(_ connection: Connection, queue: String, limit: Int) throws -> [Message] {
        let list = try connection.cachedStatement("""
            SELECT id, enqueued_at, attempts, priority, body FROM dead WHERE queue = ?1 ORDER BY id LIMIT ?2
            """)
        defer { list.reset() }
        try list.bind(queue, at: 1)
        try list.bind(limit, at: 2)
        var messages: [Message] = []
        while try list.step() {
            messages.append(Message(id: list.int64(at: 0), queue: queue, body: list.data(at: 4), priority: list.int(at: 3),
                                    enqueuedAt: Timestamp.date(list.int64(at: 1)), attempt: list.int(at: 2)))
        }
        return messages
    }

    /// Puts every dead letter of `queue` back in its lane, with its id and no attempts.
    static func retryDead(_ connection: Connection, queue: String) throws -> Int {
        let priorities = try connection.cachedStatement("SELECT DISTINCT priority FROM dead WHERE queue = ?1")
        try priorities.bind(queue, at: 1)
        var levels: [Int] = []
        while try priorities.step() { levels.append(priorities.int(at: 0)) }
        priorities.reset()
        var total = 0
        for priority in levels {
            let lane = try Lanes.find(connection, queue: queue, priority: priority)
                ?? Lanes.create(connection, queue: queue, priority: priority)
            let move = try statement(connection, lane, .restore) {
                """
                INSERT INTO \(lane.table) (id, enqueued_at, attempts, body)
                SELECT id, enqueued_at, 0, body FROM dead WHERE queue = ?1 AND priority = ?2
                """
            }
            defer { move.reset() }
            try move.bind(queue, at: 1)
            try move.bind(priority, at: 2)
            try move.run()
            total += connection.changes
        }
        _ = try purgeDead(connection, queue: queue)
        return total
    }

    static func purgeDead(_ connection: Connection, queue: String) throws -> Int {
        let purge = try connection.cachedStatement("DELETE FROM dead WHERE queue = ?1")
        defer { purge.reset() }
        try purge.bind(queue, at: 1)
        try purge.run()
        return connection.changes
    }

    static func deadCounts(_ connection: Connection) throws -> [String: Int] {
        let counts = try connection.cachedStatement("SELECT queue, count(*) FROM dead GROUP BY queue")
        defer { counts.reset() }
        var result: [String: Int] = [:]
        while try counts.step() { result[counts.string(at: 0) ?? ""] = counts.int(at: 1) }
        return result
    }
}
