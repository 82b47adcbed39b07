@preconcurrency import Glibc

/// Calendar fields of a moment in local time or UTC, and back: what cron schedules are
/// written in. Local time follows `TZ` and the system's zone data (`localtime_r(3)`,
/// `mktime(3)`).
public enum CalendarZone: Sendable {
    /// The process's local time zone.
    case local
    /// Coordinated universal time.
    case utc

    /// The fields of a moment, in this zone.
    public struct Fields: Sendable, Equatable {
        /// The year, for example 2026.
        public var year: Int32
        /// 1 to 12.
        public var month: Int32
        /// 1 to 31.
        public var day: Int32
        /// 0 to 23.
        public var hour: Int32
        /// 0 to 59.
        public var minute: Int32
        /// 0 to 60 (a leap second); ignored when converting back (second 0).
        public var second: Int32
        /// 0 (Sunday) to 6 (Saturday); ignored when converting back.
        public var weekday: Int32

        public init(year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32 = 0, weekday: Int32 = 0) {
            self.year = year
            self.month = month
            self.day = day
            self.hour = hour
            self.minute = minute
            self.second = second
            self.weekday = weekday
        }
    }

    /// The fields of `secondsSinceEpoch` (Unix time) in this zone (`localtime_r(3)`,
    /// `gmtime_r(3)`).
    public func fields(_ secondsSinceEpoch: Int64) -> Fields {
        var seconds = time_t(secondsSinceEpoch)
        var parts = tm()
        switch self {
        case .local: localtime_r(&seconds, &parts)
        case .utc: gmtime_r(&seconds, &parts)
        }
        return Fields(year: parts.tm_year + 1900, month: parts.tm_mon + 1, day: parts.tm_mday, hour: parts.tm_hour,
                      minute: parts.tm_min, second: parts.tm_sec, weekday: parts.tm_wday)
    }

    /// The Unix time of `fields` (second 0) in this zone. Fields out of range carry over
    /// (month 13 is January of the next year, day 32 the next month's first); a local
    /// time that a clock change skips or repeats is resolved as `mktime(3)` does.
    public func seconds(_ fields: Fields) -> Int64 {
        var parts = tm()
        parts.tm_year = fields.year - 1900
        parts.tm_mon = fields.month - 1
        parts.tm_mday = fields.day
        parts.tm_hour = fields.hour
        parts.tm_min = fields.minute
        parts.tm_sec = 0
        parts.tm_isdst = -1
        switch self {
        case .local: return Int64(mktime(&parts))
        case .utc: return Int64(timegm(&parts))
        }
    }
}
