import FoundationEssentials

/// A recurring put: `body` goes on `queue` at each tick of `rule`, once per tick
/// whatever number of processes fire schedules (`Store.addSchedule`).
public struct Schedule: Sendable, Equatable {
    /// Its name, unique in the store.
    public let name: String
    /// The queue it puts on.
    public let queue: String
    /// When it puts.
    public let rule: ScheduleRule
    /// What it puts.
    public let body: Data
    /// Its next tick.
    public let nextDue: Date
    /// When it last put, by a tick or `Store.runSchedule(_:)`; `nil` if never.
    public let lastFired: Date?

    /// Its next tick, in microseconds since the epoch.
    package let nextDueMicroseconds: Int64

    package init(name: String, queue: String, rule: ScheduleRule, body: Data, nextDue: Int64, lastFired: Int64?) {
        self.name = name
        self.queue = queue
        self.rule = rule
        self.body = body
        self.nextDue = Timestamp.date(nextDue)
        self.lastFired = lastFired.map(Timestamp.date)
        nextDueMicroseconds = nextDue
    }

    /// A schedule read from an engine's table, its rule as `ScheduleRule.description` wrote it.
    ///
    /// - Throws: `DQError.Kind.badStore` for a rule this dq cannot read.
    package init(name: String, queue: String, ruleText: String, body: Data, nextDue: Int64,
                 lastFired: Int64?) throws(DQError) {
        let rule: ScheduleRule
        do { rule = try ScheduleRule(parsing: ruleText) } catch {
            throw DQError(.badStore, "schedule \(name) has a rule this dq cannot read ('\(ruleText)'): \(error.message)")
        }
        self.init(name: name, queue: queue, rule: rule, body: body, nextDue: nextDue, lastFired: lastFired)
    }
}

/// What firing due schedules did (`StoreEngine.fireDueSchedules()`).
package struct ScheduleFiring: Sendable, Equatable {
    /// The schedules that put, in the order they were due.
    package var fired: [String]
    /// How long until the next schedule is due by the store's clock (`nil`: there is none).
    package var untilNext: Duration?

    package init(fired: [String], untilNext: Duration?) {
        self.fired = fired
        self.untilNext = untilNext
    }
}
