import DurableQueue
import FoundationEssentials
import NIOCore
import PostgresNIO

/// Schedules on PostgreSQL: one `dq.schedules` row each, its next tick in `next_due`, by
/// the server's clock. Firing locks the due rows `FOR UPDATE SKIP LOCKED`, moves each
/// one's `next_due` past now and puts its body, in one transaction: a firer that comes
/// later finds the tick taken, and one that comes meanwhile skips the locked rows.
extension PostgresEngine {
    private static let columns = "name, queue, rule, body, next_due, last_fired"

    func saveSchedule(_ name: String, queue: String, rule: ScheduleRule, body: Data) throws(DQError) -> Schedule {
        let now = try serverNow()
        let first = rule.tick(after: now, from: nil)
        let rows = try rows("""
            WITH s AS (
                INSERT INTO dq.schedules AS s (name, queue, rule, body, next_due)
                VALUES (\(name), \(queue), \(rule.description), \(ByteBuffer(bytes: body)),
                        timestamptz 'epoch' + \(first) * interval '1 microsecond')
                ON CONFLICT (name) DO UPDATE SET queue = excluded.queue, body = excluded.body, rule = excluded.rule,
                    next_due = CASE WHEN s.rule = excluded.rule THEN s.next_due ELSE excluded.next_due END
                RETURNING s.next_due, s.last_fired)
            SELECT s.next_due, s.last_fired, pg_notify(dq.channel(\(WaitSubject.schedules.channel)), '')::text FROM s
            """)
        guard let row = rows.first else { throw DQError(.internalError, "saving schedule \(name) returned nothing") }
        let (nextDue, lastFired, _) = try Self.decode(row, as: (Date, Date?, String).self)
        return Schedule(name: name, queue: queue, rule: rule, body: body, nextDue: Timestamp.microseconds(of: nextDue),
                        lastFired: lastFired.map(Timestamp.microseconds(of:)))
    }

    func schedules() throws(DQError) -> [Schedule] {
        try rows("SELECT \(unescaped: Self.columns) FROM dq.schedules ORDER BY name COLLATE \"C\"").map(Self.schedule)
    }

    func removeSchedule(_ name: String) throws(DQError) -> Bool {
        try run("""
            WITH d AS (DELETE FROM dq.schedules WHERE name = \(name) RETURNING 1)
            SELECT pg_notify(dq.channel(\(WaitSubject.schedules.channel)), '') FROM d
            """, retrying: false) == 1
    }

    func runSchedule(_ name: String) throws(DQError) -> Bool {
        let query: PostgresQuery = """
            WITH s AS (UPDATE dq.schedules SET last_fired = now() WHERE name = \(name) RETURNING queue, body)
            SELECT s.queue FROM s, dq.put(s.queue, ARRAY[s.body], ARRAY[0::bigint], ARRAY[0::bigint], ARRAY[''], true, NULL, NULL)
            """
        // The queue is known only from the schedule's row.
        return try !rowsRingingHere(query, retrying: false) { rows throws(DQError) in
            if let row = rows.first { keeper.ringHere(try Self.decode(row, as: String.self)) }
        }.isEmpty
    }

    func fireDueSchedules() throws(DQError) -> ScheduleFiring {
        // Most looks find nothing due: one read, no transaction.
        guard let look = try rows("SELECT min(next_due), clock_timestamp() FROM dq.schedules").first else {
            return ScheduleFiring(fired: [], untilNext: nil)
        }
        let (earliest, clock) = try Self.decode(look, as: (Date?, Date).self)
        guard let earliest else { return ScheduleFiring(fired: [], untilNext: nil) }
        if earliest > clock { return ScheduleFiring(fired: [], untilNext: Self.between(clock, earliest)) }
        return try session(retrying: false) { session throws(PostgresFailure) -> ScheduleFiring in
            try session.run("BEGIN")
            do throws(PostgresFailure) {
                let now = try Self.serverNow(session, transaction: true)
                var fired: [String] = []
                let due = try session.rows("""
                    SELECT \(unescaped: Self.columns) FROM dq.schedules WHERE next_due <= now()
                    ORDER BY next_due, name FOR UPDATE SKIP LOCKED
                    """)
                for row in due {
                    let schedule: Schedule
                    do throws(DQError) { schedule = try Self.schedule(row) } catch { throw PostgresFailure(.error(error)) }
                    let next = schedule.rule.tick(after: now, from: schedule.nextDueMicroseconds)
                    try session.run("""
                        UPDATE dq.schedules SET next_due = timestamptz 'epoch' + \(next) * interval '1 microsecond', last_fired = now()
                        WHERE name = \(schedule.name)
                        """)
                    _ = try session.rows(Self.putQuery([OutgoingMessage(schedule.body)], on: schedule.queue, counts: true))
                    fired.append(schedule.name)
                }
                let later = try session.rows("SELECT min(next_due), clock_timestamp() FROM dq.schedules").first
                    .flatMap { try? Self.decode($0, as: (Date?, Date).self) }
                try session.run("COMMIT")
                var untilNext = later.flatMap { next, clock in next.map { Self.between(clock, $0) } }
                // A due row skipped is another firer's, locked until it commits in a moment.
                if fired.isEmpty, let wait = untilNext, wait < .milliseconds(10) { untilNext = .milliseconds(10) }
                return ScheduleFiring(fired: fired, untilNext: untilNext)
            } catch {
                _ = try? session.run("ROLLBACK")
                throw error
            }
        }
    }

    /// The server's clock, in microseconds since the epoch.
    private func serverNow() throws(DQError) -> Int64 {
        try session { session throws(PostgresFailure) in try Self.serverNow(session, transaction: false) }
    }

    /// The server's clock (`transaction`: the current transaction's start, `now()`).
    private static func serverNow(_ session: PostgresSession, transaction: Bool) throws(PostgresFailure) -> Int64 {
        let query: PostgresQuery = transaction ? "SELECT now()" : "SELECT clock_timestamp()"
        guard let now = try session.rows(query).first.flatMap({ try? Self.decode($0, as: Date.self) }) else {
            throw PostgresFailure(.error(DQError(.internalError, "the server did not say what time it is")))
        }
        return Timestamp.microseconds(of: now)
    }

    private static func schedule(_ row: PostgresRow) throws(DQError) -> Schedule {
        let (name, queue, rule, body, nextDue, lastFired) = try decode(row, as: (String, String, String, Data, Date, Date?).self)
        return try Schedule(name: name, queue: queue, ruleText: rule, body: body, nextDue: Timestamp.microseconds(of: nextDue),
                            lastFired: lastFired.map(Timestamp.microseconds(of:)))
    }

    private static func between(_ start: Date, _ end: Date) -> Duration {
        .microseconds(max(0, Timestamp.microseconds(of: end) - Timestamp.microseconds(of: start)))
    }
}
