import FoundationEssentials

/// Schedules on SQLite: one `schedules` row each, its next tick in `next_due`. Firing
/// reads the due rows, moves each one's `next_due` past now and puts its body in one
/// write transaction; write transactions take turns, so the next firer finds the tick
/// taken and puts nothing.
extension SQLiteEngine {
    func saveSchedule(_ name: String, queue: String, rule: ScheduleRule, body: Data) throws(DQError) -> Schedule {
        try refuseIfReadOnly("write")
        doorbells.prepareToRing()
        let saved = try write { connection -> Schedule in
            let save = try connection.cachedStatement(ScheduleSQL.save)
            defer { save.reset() }
            try save.bind(name, at: 1)
            try save.bind(queue, at: 2)
            try save.bind(rule.description, at: 3)
            try save.bind(body, at: 4)
            try save.bind(rule.tick(after: Timestamp.now(), from: nil), at: 5)
            guard try save.step() else { throw DQError(.internalError, "saving schedule \(name) returned nothing") }
            return Schedule(name: name, queue: queue, rule: rule, body: body, nextDue: save.int64(at: 0),
                            lastFired: save.isNull(at: 1) ? nil : save.int64(at: 1))
        }
        doorbells.ring(WaitSubject.schedules.channel)
        return saved
    }

    func schedules() throws(DQError) -> [Schedule] {
        try read { connection in
            let list = try connection.cachedStatement(ScheduleSQL.list)
            defer { list.reset() }
            var schedules: [Schedule] = []
            while try list.step() { schedules.append(try Self.schedule(list)) }
            return schedules
        }
    }

    func removeSchedule(_ name: String) throws(DQError) -> Bool {
        try refuseIfReadOnly("write")
        doorbells.prepareToRing()
        let removed = try write { connection -> Bool in
            let remove = try connection.cachedStatement(ScheduleSQL.remove)
            defer { remove.reset() }
            try remove.bind(name, at: 1)
            try remove.run()
            return connection.changes == 1
        }
        if removed { doorbells.ring(WaitSubject.schedules.channel) }
        return removed
    }

    func runSchedule(_ name: String) throws(DQError) -> Bool {
        try refuseIfReadOnly("write")
        doorbells.prepareToRing()
        let queue = try write { connection -> String? in
            let find = try connection.cachedStatement(ScheduleSQL.find)
            try find.bind(name, at: 1)
            guard try find.step() else { find.reset(); return nil }
            let schedule = try Self.schedule(find)
            find.reset()
            try Self.put(schedule, connection, now: Timestamp.now(), next: schedule.nextDueMicroseconds)
            return schedule.queue
        }
        guard let queue else { return false }
        doorbells.ringAfterCommit(queue, early: .none)
        traffic.added(1, to: queue)
        return true
    }

    func fireDueSchedules() throws(DQError) -> ScheduleFiring {
        // Most looks find nothing due: they read, without taking the write lock.
        let earliest = try read { try Self.earliestDue($0) }
        guard let earliest else { return ScheduleFiring(fired: [], untilNext: nil) }
        let now = Timestamp.now()
        if earliest > now { return ScheduleFiring(fired: [], untilNext: .microseconds(earliest - now)) }
        try refuseIfReadOnly("write")
        doorbells.prepareToRing()
        var fired: [Schedule] = []
        let later = try write { connection -> Int64? in
            fired = []
            let now = Timestamp.now()
            let due = try connection.cachedStatement(ScheduleSQL.due)
            try due.bind(now, at: 1)
            var found: [Schedule] = []
            while try due.step() { found.append(try Self.schedule(due)) }
            due.reset()
            for schedule in found {
                try Self.put(schedule, connection, now: now, next: schedule.rule.tick(after: now, from: schedule.nextDueMicroseconds))
            }
            fired = found
            return try Self.earliestDue(connection).map { $0 - now }
        }
        for schedule in fired {
            doorbells.ringAfterCommit(schedule.queue, early: .none)
            traffic.added(1, to: schedule.queue)
        }
        return ScheduleFiring(fired: fired.map(\.name), untilNext: later.map { .microseconds(max(0, $0)) })
    }

    /// Puts `schedule`'s body on its queue and records the put, its next tick at `next`.
    private static func put(_ schedule: Schedule, _ connection: Connection, now: Int64, next: Int64) throws {
        let update = try connection.cachedStatement(ScheduleSQL.fired)
        defer { update.reset() }
        try update.bind(schedule.name, at: 1)
        try update.bind(next, at: 2)
        try update.bind(now, at: 3)
        try update.run()
        var inserter = MessageTable.Inserter(connection, queue: schedule.queue, now: now)
        _ = try inserter.insert(OutgoingMessage(schedule.body))
        try inserter.finish()
    }

    private static func earliestDue(_ connection: Connection) throws -> Int64? {
        let earliest = try connection.cachedStatement(ScheduleSQL.earliest)
        defer { earliest.reset() }
        return try earliest.step() && !earliest.isNull(at: 0) ? earliest.int64(at: 0) : nil
    }

    /// The schedule in the current row of a statement that selects `ScheduleSQL.columns`.
    private static func schedule(_ row: Statement) throws -> Schedule {
        try Schedule(name: row.string(at: 0) ?? "", queue: row.string(at: 1) ?? "", ruleText: row.string(at: 2) ?? "",
                     body: row.data(at: 3), nextDue: row.int64(at: 4), lastFired: row.isNull(at: 5) ? nil : row.int64(at: 5))
    }
}

private enum ScheduleSQL {
    static let columns = "name, queue, rule, body, next_due, last_fired"
    /// A changed rule starts over from its first tick; the same rule keeps its ticks.
    static let save = PreparedSQL("""
        INSERT INTO schedules (name, queue, rule, body, next_due) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT (name) DO UPDATE SET queue = excluded.queue, body = excluded.body, rule = excluded.rule,
            next_due = CASE WHEN rule = excluded.rule THEN next_due ELSE excluded.next_due END
        RETURNING next_due, last_fired
        """)
    static let list = PreparedSQL("SELECT \(columns) FROM schedules ORDER BY name")
    static let find = PreparedSQL("SELECT \(columns) FROM schedules WHERE name = ?1")
    static let remove = PreparedSQL("DELETE FROM schedules WHERE name = ?1")
    static let due = PreparedSQL("SELECT \(columns) FROM schedules WHERE next_due <= ?1 ORDER BY next_due, name")
    static let fired = PreparedSQL("UPDATE schedules SET next_due = ?2, last_fired = ?3 WHERE name = ?1")
    static let earliest = PreparedSQL("SELECT min(next_due) FROM schedules")
}
