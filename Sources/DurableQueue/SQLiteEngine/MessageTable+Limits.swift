/// Work limits on SQLite (`WorkLimits`), kept in the write transaction that leases:
/// `running` holds one row per lease taken under a running limit, which counts while its
/// message is still leased with that receipt (an ack, nack, release, expiry or a dead
/// holder's sweep frees it); `rates` holds when a queue's next rate-limited lease may be
/// taken. Writers take turns, so the count and the lease cannot interleave with another's.
extension MessageTable {
    /// How many messages of `queue` may be leased now under `limits` (at most `limit`),
    /// and when to look again when none may (the rate's next start; `nil`: when woken).
    static func allowance(_ connection: Connection, queue: String, limit: Int, limits: WorkLimits,
                          now: Int64) throws -> (allowed: Int, until: Int64?) {
        var allowed = limit
        if let maxRunning = limits.maxRunning {
            let free = try connection.cachedStatement(LimitSQL.runningFree)
            try free.bind(queue, at: 1)
            try free.bind(now, at: 2)
            try free.run()
            free.reset()
            let count = try connection.cachedStatement(LimitSQL.runningCount)
            defer { count.reset() }
            try count.bind(queue, at: 1)
            allowed = min(allowed, maxRunning - (try count.step() ? count.int(at: 0) : 0))
        }
        if limits.rate != nil {
            let next = try connection.cachedStatement(LimitSQL.rateRead)
            defer { next.reset() }
            try next.bind(queue, at: 1)
            if try next.step(), next.int64(at: 0) > now { return (0, next.int64(at: 0)) }
            allowed = min(allowed, 1)
        }
        return (max(0, allowed), nil)
    }

    /// Records leases taken under `limits`: a running row each, and the rate's next start.
    static func recordLimited(_ connection: Connection, queue: String, leased: [LeasedMessage], limits: WorkLimits,
                              now: Int64) throws {
        guard !leased.isEmpty else { return }
        if limits.maxRunning != nil {
            let insert = try connection.cachedStatement(LimitSQL.runningInsert)
            defer { insert.reset() }
            for lease in leased {
                insert.reset()
                try insert.bind(queue, at: 1)
                try insert.bind(lease.receipt.position, at: 2)
                try insert.bind(lease.receipt.token, at: 3)
                try insert.run()
            }
        }
        if let rate = limits.rate {
            let write = try connection.cachedStatement(LimitSQL.rateWrite)
            defer { write.reset() }
            try write.bind(queue, at: 1)
            try write.bind(now &+ Timestamp.microseconds(rate.interval) &* Int64(leased.count), at: 2)
            try write.run()
        }
    }

    /// Deletes every limit row that limits nothing any more (a place whose lease ended,
    /// a rate whose next start has passed), so that a drained queue leaves none behind.
    /// Both tables hold a few rows per limited queue: each pass reads them whole.
    static func forgetSpentLimits(_ connection: Connection, now: Int64) throws {
        for sql in [LimitSQL.runningSpent, LimitSQL.rateSpent] {
            let forget = try connection.cachedStatement(sql)
            defer { forget.reset() }
            try forget.bind(now, at: 1)
            try forget.run()
        }
    }

    /// Deletes `queue`'s limit rows (for `drop`).
    static func dropLimits(_ connection: Connection, queue: String) throws {
        for sql in [LimitSQL.runningDrop, LimitSQL.rateDrop] {
            let drop = try connection.cachedStatement(sql)
            defer { drop.reset() }
            try drop.bind(queue, at: 1)
            try drop.run()
        }
    }
}

private enum LimitSQL {
    /// A running row counts while its message is leased with its receipt and the lease lasts.
    static let runningFree = PreparedSQL("""
        DELETE FROM running WHERE queue = ?1 AND NOT EXISTS (
            SELECT 1 FROM messages m WHERE m.position = running.position AND m.receipt = running.receipt AND m.lease_until > ?2)
        """)
    static let runningCount = PreparedSQL("SELECT count(*) FROM running WHERE queue = ?1")
    static let runningSpent = PreparedSQL("""
        DELETE FROM running WHERE NOT EXISTS (
            SELECT 1 FROM messages m WHERE m.position = running.position AND m.receipt = running.receipt AND m.lease_until > ?1)
        """)
    static let rateSpent = PreparedSQL("DELETE FROM rates WHERE next_start <= ?1")
    static let runningInsert = PreparedSQL("INSERT OR REPLACE INTO running (queue, position, receipt) VALUES (?1, ?2, ?3)")
    static let runningDrop = PreparedSQL("DELETE FROM running WHERE queue = ?1")
    static let rateRead = PreparedSQL("SELECT next_start FROM rates WHERE queue = ?1")
    static let rateWrite = PreparedSQL("""
        INSERT INTO rates (queue, next_start) VALUES (?1, ?2) ON CONFLICT (queue) DO UPDATE SET next_start = excluded.next_start
        """)
    static let rateDrop = PreparedSQL("DELETE FROM rates WHERE queue = ?1")
}
