import DQSystem
import FoundationEssentials

/// A standard five-field cron expression, `minute hour day-of-month month day-of-week`,
/// read in local time: each field is `*`, a value, a range `A-B`, any of those with a
/// step (`*/15`, `8-18/2`, `5/20` = `5-59/20`), or a comma-separated list of them.
/// Months and weekdays may be named (`jan`, `mon-fri`); weekday 0 and 7 are Sunday.
/// `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly` and `@yearly` (`@annually`)
/// stand for their usual expressions.
///
/// As in every cron since Vixie's: when neither day field starts with `*`, a day
/// matches if either of them does (`0 0 1 * mon` is the 1st and every Monday).
///
/// For example:
///
/// ```swift
/// let weekdays = try CronSchedule(parsing: "30 8 * * mon-fri")
/// let next = weekdays.next(after: .now)
/// ```
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The expression, with its fields separated by single spaces (a macro as written).
    public let text: String

    private let minutes: UInt64
    private let hours: UInt64
    private let days: UInt64
    private let months: UInt64
    private let weekdays: UInt64
    /// Whether either day field starts with `*`: then a day must match both.
    private let dayFieldsAreAnded: Bool

    public var description: String { text }

    private static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses `text`.
    ///
    /// - Throws: `DQError.Kind.invalidArgument` naming the field that is wrong, as in
    ///   "cron '0 25 * * *': hour: 25 is not in 0–23".
    public init(parsing text: String) throws(DQError) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let expanded: [String]
        if words.count == 1, words[0].hasPrefix("@") {
            guard let macro = Self.macros[words[0].lowercased()] else {
                throw DQError(.invalidArgument, "cron '\(text)': unknown macro \(words[0]); use @hourly, @daily, @weekly, @monthly or @yearly")
            }
            expanded = macro.split(separator: " ").map(String.init)
        } else {
            guard words.count == 5 else {
                throw DQError(.invalidArgument, "cron '\(text)' has \(words.count) field\(words.count == 1 ? "" : "s"); it needs 5: minute hour day-of-month month day-of-week")
            }
            expanded = words
        }
        let normalized = words.joined(separator: " ")
        var sets: [UInt64] = []
        for (field, item) in zip(CronField.all, expanded) {
            do {
                sets.append(try field.parse(item))
            } catch {
                throw DQError(.invalidArgument, "cron '\(normalized)': \(field.name): \(error.message)")
            }
        }
        self.text = normalized
        (minutes, hours, days, months, weekdays) = (sets[0], sets[1], sets[2], sets[3], sets[4])
        dayFieldsAreAnded = expanded[2].hasPrefix("*") || expanded[4].hasPrefix("*")
        // Only days of the month can name no day at all (`31 2`, `30 feb`).
        if dayFieldsAreAnded && !Self.someDayExists(days, in: months) {
            throw DQError(.invalidArgument, "cron '\(normalized)': day-of-month: none of its days occurs in the months given")
        }
    }

    /// The first whole minute after `date` that the expression matches, in local time.
    ///
    /// A local time that a clock change skips does not occur, and one it repeats occurs
    /// twice.
    public func next(after date: Date) -> Date {
        next(after: date, in: .local)
    }

    /// `next(after:)` in `zone`.
    package func next(after date: Date, in zone: CalendarZone) -> Date {
        let start = Int64((date.timeIntervalSince1970 / 60).rounded(.down)) * 60 + 60
        return Date(timeIntervalSince1970: Double(nextMinute(from: start, in: zone)))
    }

    /// The first matching minute at or after `start` (Unix time on a minute).
    private func nextMinute(from start: Int64, in zone: CalendarZone) -> Int64 {
        var time = start
        // Each turn moves on at least a minute; every valid expression matches within a
        // few years (a 29 February at most eight years on), far fewer turns than this.
        for _ in 0..<1_000_000 {
            let now = zone.fields(time)
            var later: CalendarZone.Fields?
            if !Self.has(months, now.month) {
                later = .init(year: now.year, month: now.month + 1, day: 1, hour: 0, minute: 0)
            } else if !dayMatches(now) {
                later = .init(year: now.year, month: now.month, day: now.day + 1, hour: 0, minute: 0)
            } else if !Self.has(hours, now.hour) {
                later = .init(year: now.year, month: now.month, day: now.day, hour: now.hour + 1, minute: 0)
            } else if !Self.has(minutes, now.minute) {
                time += 60
                continue
            } else {
                return time
            }
            // A clock change can resolve a local time to one not after this one.
            let jump = later.map { zone.seconds($0) } ?? time
            time = jump > time ? jump : time + 60
        }
        return Int64.max / 2
    }

    private func dayMatches(_ fields: CalendarZone.Fields) -> Bool {
        let day = Self.has(days, fields.day)
        let weekday = Self.has(weekdays, fields.weekday)
        return dayFieldsAreAnded ? day && weekday : day || weekday
    }

    private static func has(_ set: UInt64, _ value: Int32) -> Bool {
        value >= 0 && value < 64 && set & (1 << UInt64(value)) != 0
    }

    private static func someDayExists(_ days: UInt64, in months: UInt64) -> Bool {
        let lengths: [Int32] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains { month in
            has(months, Int32(month)) && (1...lengths[month - 1]).contains { has(days, $0) }
        }
    }
}

/// One field of a cron expression: its name, its range, and the names its values may have.
private struct CronField {
    let name: String
    let low: Int
    let high: Int
    let names: [String]
    /// Where the first name goes (`jan` is 1, `sun` 0).
    let firstNamed: Int

    static let all = [
        CronField(name: "minute", low: 0, high: 59, names: [], firstNamed: 0),
        CronField(name: "hour", low: 0, high: 23, names: [], firstNamed: 0),
        CronField(name: "day-of-month", low: 1, high: 31, names: [], firstNamed: 0),
        CronField(name: "month", low: 1, high: 12,
                  names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], firstNamed: 1),
        // 7 is Sunday too; it is folded into 0 after parsing.
        CronField(name: "day-of-week", low: 0, high: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], firstNamed: 0),
    ]

    /// The set of values `text` names, one bit per value.
    func parse(_ text: String) throws(DQError) -> UInt64 {
        var set: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            set |= try parseItem(item)
        }
        if name == "day-of-week" && set & (1 << 7) != 0 { set = (set & ~(1 << 7)) | 1 }
        return set
    }

    private func parseItem(_ item: Substring) throws(DQError) -> UInt64 {
        guard !item.isEmpty else { throw DQError(.invalidArgument, "an empty item in a list") }
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        var step = 1
        if parts.count == 2 {
            guard let value = Int(parts[1]), value > 0, value <= high - low + 1 else {
                throw DQError(.invalidArgument, "step '\(parts[1])' is not a whole number from 1 to \(high - low + 1)")
            }
            step = value
        }
        let range = parts[0]
        var first: Int
        var last: Int
        if range == "*" {
            (first, last) = (low, high)
        } else if let dash = range.firstIndex(of: "-") {
            first = try value(range[..<dash])
            last = try value(range[range.index(after: dash)...])
            if first > last { throw DQError(.invalidArgument, "range \(range) runs backwards") }
        } else {
            first = try value(range)
            // `5/15` means `5-59/15`; a lone value is itself.
            last = parts.count == 2 ? high : first
        }
        if name == "day-of-week" && range == "*" { last = 6 }
        var set: UInt64 = 0
        for value in stride(from: first, through: last, by: step) { set |= 1 << UInt64(value) }
        return set
    }

    private func value(_ text: Substring) throws(DQError) -> Int {
        if let index = names.firstIndex(of: text.lowercased()) { return index + firstNamed }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) else {
            let named = names.isEmpty ? "" : " or a name (\(names.first!)–\(names.last!))"
            throw DQError(.invalidArgument, "'\(text)' is not a number\(named)")
        }
        guard (low...high).contains(value) else {
            throw DQError(.invalidArgument, "\(value) is not in \(low)–\(high)")
        }
        return value
    }
}
