import FoundationEssentials

/// When a schedule puts: at a fixed interval, or at the minutes a cron expression names.
///
/// For example:
///
/// ```swift
/// let rule = try ScheduleRule(parsing: "every 5m")     // .every(.seconds(300))
/// let nightly = ScheduleRule.cron(try CronSchedule(parsing: "0 3 * * *"))
/// ```
public enum ScheduleRule: Sendable, Hashable, CustomStringConvertible {
    /// Every interval (at least a second), starting one interval after the schedule is added.
    case every(Duration)
    /// At each minute the expression matches, in local time.
    case cron(CronSchedule)

    /// The shortest interval of `.every`.
    public static let shortestInterval = Duration.seconds(1)

    /// `every 5m` or the cron expression: what `schedule list` shows and the store keeps.
    public var description: String {
        switch self {
        case .every(let interval): "every " + Self.exactText(interval)
        case .cron(let cron): cron.text
        }
    }

    /// Reads a rule as `description` writes it: `every D`, or a cron expression.
    ///
    /// - Throws: `DQError.Kind.invalidArgument` naming what is wrong.
    public init(parsing text: String) throws(DQError) {
        if text.hasPrefix("every ") {
            let interval = try DurationText.parse(String(text.dropFirst(6)))
            try Self.check(interval)
            self = .every(interval)
        } else {
            self = .cron(try CronSchedule(parsing: text))
        }
    }

    /// Refuses an interval shorter than `shortestInterval`.
    static func check(_ interval: Duration) throws(DQError) {
        if interval < shortestInterval {
            throw DQError(.invalidArgument, "a schedule's interval must be at least 1s, not \(DurationText.format(interval))")
        }
    }

    /// The first tick after `now` (microseconds since the epoch). An interval's ticks lie
    /// on the grid of `due`, its last tick (`nil`: the first comes one interval from now);
    /// however many of them passed, only the first after `now` is returned, so ticks
    /// missed while nothing ran are not made up.
    package func tick(after now: Int64, from due: Int64?) -> Int64 {
        switch self {
        case .every(let interval):
            let step = max(1, Timestamp.microseconds(interval))
            guard let due, due <= now else { return due ?? now &+ step }
            return due &+ ((now - due) / step + 1) &* step
        case .cron(let cron):
            return Timestamp.microseconds(of: cron.next(after: Timestamp.date(now)))
        }
    }

    /// A whole number of the largest unit that fits exactly (`90s`, `2h`, `1500ms`), so
    /// that the text reads back as the same interval.
    private static func exactText(_ interval: Duration) -> String {
        let micros = Timestamp.microseconds(interval)
        let units: [(String, Int64)] = [("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000)]
        for (unit, size) in units where micros % size == 0 { return "\(micros / size)\(unit)" }
        return "\(micros)us"
    }
}
