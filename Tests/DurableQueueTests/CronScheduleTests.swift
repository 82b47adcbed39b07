import DQSystem
import DurableQueue
import Foundation
import Testing

/// Cron expressions (`CronSchedule`): every field form, the day rule, macros, and the
/// error that names the bad field. Ticks are computed in UTC here so that they do not
/// depend on the machine's zone.
@Suite("Cron expressions")
struct CronScheduleTests {
    /// 2026-12-03 10:07:30 UTC, a Thursday.
    static let start = utc(2026, 12, 3, 10, 7) + 30

    static func utc(_ year: Int32, _ month: Int32, _ day: Int32, _ hour: Int32, _ minute: Int32) -> Int64 {
        CalendarZone.utc.seconds(.init(year: year, month: month, day: day, hour: hour, minute: minute))
    }

    /// The first `count` ticks of `text` after `start`, as "MM-DD HH:MM" (UTC).
    func ticks(_ text: String, _ count: Int = 4, from start: Int64 = start) throws -> [String] {
        let cron = try CronSchedule(parsing: text)
        var time = Date(timeIntervalSince1970: Double(start))
        var found: [String] = []
        for _ in 0..<count {
            time = cron.next(after: time, in: .utc)
            let fields = CalendarZone.utc.fields(Int64(time.timeIntervalSince1970))
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            found.append("\(two(fields.month))-\(two(fields.day)) \(two(fields.hour)):\(two(fields.minute))")
        }
        return found
    }

    @Test("minute field: *, a value, a range, steps, a list")
    func minutes() throws {
        #expect(try ticks("* * * * *", 2) == ["12-03 10:08", "12-03 10:09"])
        #expect(try ticks("5 * * * *", 2) == ["12-03 11:05", "12-03 12:05"])
        #expect(try ticks("10-12 * * * *") == ["12-03 10:10", "12-03 10:11", "12-03 10:12", "12-03 11:10"])
        #expect(try ticks("*/15 * * * *") == ["12-03 10:15", "12-03 10:30", "12-03 10:45", "12-03 11:00"])
        #expect(try ticks("10-30/10 * * * *") == ["12-03 10:10", "12-03 10:20", "12-03 10:30", "12-03 11:10"])
        #expect(try ticks("50/5 * * * *", 3) == ["12-03 10:50", "12-03 10:55", "12-03 11:50"], "N/S runs from N to the end")
        #expect(try ticks("1,8,59 * * * *") == ["12-03 10:08", "12-03 10:59", "12-03 11:01", "12-03 11:08"])
        #expect(try ticks("0-5/5,30 * * * *") == ["12-03 10:30", "12-03 11:00", "12-03 11:05", "12-03 11:30"])
    }

    @Test("hour field: a value, a range with a step, a list")
    func hours() throws {
        #expect(try ticks("0 9 * * *", 2) == ["12-04 09:00", "12-05 09:00"])
        #expect(try ticks("0 9-17/4 * * *") == ["12-03 13:00", "12-03 17:00", "12-04 09:00", "12-04 13:00"])
        #expect(try ticks("30 0,12 * * *", 3) == ["12-03 12:30", "12-04 00:30", "12-04 12:30"])
    }

    @Test("day-of-month and month fields, with month names, across years and leap days")
    func daysAndMonths() throws {
        #expect(try ticks("0 0 1,15 * *", 3) == ["12-15 00:00", "01-01 00:00", "01-15 00:00"])
        #expect(try ticks("0 0 1 jan,jul *", 3) == ["01-01 00:00", "07-01 00:00", "01-01 00:00"])
        #expect(try ticks("0 0 1 FEB-Apr *", 3) == ["02-01 00:00", "03-01 00:00", "04-01 00:00"])
        #expect(try ticks("0 0 31 * *", 3) == ["12-31 00:00", "01-31 00:00", "03-31 00:00"], "months without a 31st are skipped")
        let leap = try CronSchedule(parsing: "0 0 29 2 *").next(after: Date(timeIntervalSince1970: Double(Self.start)), in: .utc)
        #expect(Int64(leap.timeIntervalSince1970) == Self.utc(2028, 2, 29, 0, 0))
    }

    @Test("day-of-week field: numbers, names, ranges, 7 as Sunday")
    func weekdays() throws {
        // 2026-12-03 is a Thursday.
        #expect(try ticks("0 8 * * mon-fri") == ["12-04 08:00", "12-07 08:00", "12-08 08:00", "12-09 08:00"])
        #expect(try ticks("0 8 * * 1-5") == ticks("0 8 * * mon-fri"))
        #expect(try ticks("0 0 * * 7", 2) == ["12-06 00:00", "12-13 00:00"])
        #expect(try ticks("0 0 * * 0", 2) == ticks("0 0 * * 7", 2))
        #expect(try ticks("0 0 * * 5-7", 4) == ["12-04 00:00", "12-05 00:00", "12-06 00:00", "12-11 00:00"])
        #expect(try ticks("0 0 * * sat,sun", 3) == ["12-05 00:00", "12-06 00:00", "12-12 00:00"])
        #expect(try ticks("0 0 * * */3", 3) == ["12-05 00:00", "12-06 00:00", "12-09 00:00"], "Sun, Wed, Sat")
    }

    @Test("two restricted day fields match either; one starting with * makes both needed")
    func dayRule() throws {
        // The 13th, or any Friday.
        #expect(try ticks("0 0 13 * fri", 4) == ["12-04 00:00", "12-11 00:00", "12-13 00:00", "12-18 00:00"])
        // Days 1, 11, 21, 31 that are also Mondays.
        #expect(try ticks("0 0 */10 * mon", 2) == ["12-21 00:00", "01-11 00:00"])
    }

    @Test("macros")
    func macros() throws {
        #expect(try ticks("@hourly", 2) == ["12-03 11:00", "12-03 12:00"])
        #expect(try ticks("@daily", 1) == ["12-04 00:00"])
        #expect(try ticks("@midnight", 1) == ["12-04 00:00"])
        #expect(try ticks("@weekly", 1) == ["12-06 00:00"])
        #expect(try ticks("@monthly", 1) == ["01-01 00:00"])
        #expect(try ticks("@yearly", 1) == ticks("@annually", 1))
        #expect(try CronSchedule(parsing: "  */5   *  * * *").text == "*/5 * * * *")
    }

    @Test("bad expressions are refused, naming the field", arguments: [
        ("60 * * * *", "minute: 60 is not in 0–59"),
        ("* 24 * * *", "hour: 24 is not in 0–23"),
        ("* * 0 * *", "day-of-month: 0 is not in 1–31"),
        ("* * * 13 *", "month: 13 is not in 1–12"),
        ("* * * * 8", "day-of-week: 8 is not in 0–7"),
        ("* * * foo *", "month: 'foo' is not a number or a name (jan–dec)"),
        ("jan * * * *", "minute: 'jan' is not a number"),
        ("*/0 * * * *", "minute: step '0' is not a whole number from 1 to 60"),
        ("* 5-1 * * *", "hour: range 5-1 runs backwards"),
        ("1,,2 * * * *", "minute: an empty item in a list"),
        ("* * * * mon-", "day-of-week: '' is not a number or a name (sun–sat)"),
        ("0 0 30 2 *", "day-of-month: none of its days occurs in the months given"),
        ("* * * *", "has 4 fields; it needs 5"),
        ("* * * * * *", "has 6 fields; it needs 5"),
        ("@reboot", "unknown macro @reboot"),
    ])
    func refused(text: String, message: String) {
        #expect {
            try CronSchedule(parsing: text)
        } throws: { error in
            let error = error as? DQError
            return error?.kind == .invalidArgument && error?.message.contains(message) == true
                && error?.message.hasPrefix("cron '") == true
        }
    }

    @Test("schedule rules read back as written")
    func ruleText() throws {
        for text in ["every 1s", "every 90s", "every 5m", "every 2h", "every 1d", "every 1500ms", "*/5 * * * *", "@daily"] {
            #expect(try ScheduleRule(parsing: text).description == text)
        }
        #expect(try ScheduleRule(parsing: "every 1m30s") == .every(.seconds(90)))
        #expect(throws: DQError.self) { try ScheduleRule(parsing: "every 999ms") }
    }

    @Test("an interval's ticks stay on their grid, and missed ones are not made up")
    func intervalTicks() {
        let rule = ScheduleRule.every(.seconds(10))
        #expect(rule.tick(after: 1_000_000, from: nil) == 11_000_000)
        #expect(rule.tick(after: 5_000_000, from: 11_000_000) == 11_000_000, "not yet due: unchanged")
        #expect(rule.tick(after: 11_000_000, from: 11_000_000) == 21_000_000)
        #expect(rule.tick(after: 95_500_000, from: 11_000_000) == 101_000_000, "eight missed ticks, one next")
    }
}
