import FoundationEssentials

/// Schedules: recurring puts kept in the store, fired by whichever processes fire
/// schedules (`fireSchedules`, `Queue.work`, `dq worker`, `dq schedule run-due`), each
/// tick exactly once.
extension Store {
    /// Adds the schedule `name` (1–200 bytes of UTF-8, no control characters), which puts
    /// `body` on `queue` at each tick of `rule`; an existing schedule of that name is
    /// replaced, keeping its next tick if the rule is the same.
    ///
    /// Nothing puts until a process fires schedules. A tick missed while none did gives
    /// one put when one does, not one per missed tick.
    ///
    /// For example:
    ///
    /// ```swift
    /// try store.addSchedule("nightly-report", queue: "reports", rule: .cron(try CronSchedule(parsing: "0 3 * * *")),
    ///                       body: Data("full".utf8))
    /// ```
    ///
    /// - Returns: the schedule as stored, with its next tick.
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name or queue name, an interval
    ///   under a second, or a body over the message size limit.
    @discardableResult
    public func addSchedule(_ name: String, queue: String, rule: ScheduleRule, body: Data = Data()) throws(DQError) -> Schedule {
        try Names.validate(name, what: "schedule name")
        try Names.validate(queue, what: "queue name")
        if case .every(let interval) = rule { try ScheduleRule.check(interval) }
        try Queue.validate(OutgoingMessage(body))
        return try engine.saveSchedule(name, queue: queue, rule: rule, body: body)
    }

    /// Every schedule, by name.
    ///
    /// For example:
    ///
    /// ```swift
    /// for schedule in try store.schedules() { print(schedule.name, schedule.nextDue) }
    /// ```
    public func schedules() throws(DQError) -> [Schedule] {
        try engine.schedules()
    }

    /// Removes the schedule `name`; returns whether there was one.
    ///
    /// For example:
    ///
    /// ```swift
    /// try store.removeSchedule("nightly-report")
    /// ```
    @discardableResult
    public func removeSchedule(_ name: String) throws(DQError) -> Bool {
        try Names.validate(name, what: "schedule name")
        return try engine.removeSchedule(name)
    }

    /// Puts the body of schedule `name` on its queue now, outside its ticks (which stay
    /// as they are); returns `false` if there is no such schedule.
    ///
    /// For example:
    ///
    /// ```swift
    /// try store.runSchedule("nightly-report")
    /// ```
    @discardableResult
    public func runSchedule(_ name: String) throws(DQError) -> Bool {
        try Names.validate(name, what: "schedule name")
        return try engine.runSchedule(name)
    }

    /// Fires the schedules that are due now: each puts once, however many ticks it
    /// missed, and however many processes fire at the same time. Returns the names of
    /// those this call fired.
    ///
    /// For example:
    ///
    /// ```swift
    /// let fired = try store.fireDueSchedules()
    /// ```
    @discardableResult
    public func fireDueSchedules() throws(DQError) -> [String] {
        try engine.fireDueSchedules().fired
    }

    /// Fires schedules as they fall due until `interrupt` is signalled: sleeps until the
    /// next tick or until a schedule is added or changed (woken, not polling).
    ///
    /// For example, on a thread of its own:
    ///
    /// ```swift
    /// let stop = try WaitInterrupt()
    /// try store.fireSchedules(interrupt: stop)   // returns once stop.signal() is called
    /// ```
    ///
    /// - Parameters:
    ///   - interrupt: ends the loop when signalled.
    ///   - fired: called with the names of the schedules each round fired, if any.
    /// - Throws: `DQError` if the store fails.
    public func fireSchedules(interrupt: WaitInterrupt, fired: (([String]) -> Void)? = nil) throws(DQError) {
        while !interrupt.isSignalled {
            let firing = try engine.fireDueSchedules()
            if !firing.fired.isEmpty { fired?(firing.fired) }
            var looked = false
            _ = try engine.wait(for: .schedules, timeout: firing.untilNext, interrupt: interrupt) { () throws(DQError) -> Bool? in
                defer { looked = true }
                return looked ? true : nil
            }
        }
    }

    /// The async `fireSchedules(interrupt:)`: fires schedules as they fall due until the
    /// task is cancelled, then returns.
    ///
    /// For example:
    ///
    /// ```swift
    /// let firing = Task { try await store.fireSchedules() }
    /// ```
    ///
    /// - Parameter fired: called with the names of the schedules each round fired, if any.
    /// - Throws: `DQError` if the store fails; never `.cancelled`.
    public func fireSchedules(fired: (@Sendable ([String]) -> Void)? = nil) async throws(DQError) {
        while !Task.isCancelled {
            let firing = try engine.fireDueSchedules()
            if !firing.fired.isEmpty { fired?(firing.fired) }
            var looked = false
            do {
                _ = try await engine.wait(for: .schedules, timeout: firing.untilNext) { () throws(DQError) -> Bool? in
                    defer { looked = true }
                    return looked ? true : nil
                }
            } catch where error.kind == .cancelled {
                return
            }
        }
    }
}
