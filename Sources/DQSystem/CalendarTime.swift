@preconcurrency import Glibc

/// A moment broken into UTC calendar fields, as `gmtime_r(3)` gives them.
public struct CalendarTime: Sendable {
    /// The year, for example 2026.
    public let year: Int32
    /// The month, 1 to 12.
    public let month: Int32
    /// The day of the month, 1 to 31.
    public let day: Int32
    public let hour: Int32
    public let minute: Int32
    /// 0 to 60 (a leap second).
    public let second: Int32

    /// `gmtime_r(3)`: the UTC calendar fields of `secondsSinceEpoch` (Unix time).
    public init(utcSecondsSinceEpoch secondsSinceEpoch: Int64) {
        var seconds = time_t(secondsSinceEpoch)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        year = parts.tm_year + 1900
        month = parts.tm_mon + 1
        day = parts.tm_mday
        hour = parts.tm_hour
        minute = parts.tm_min
        second = parts.tm_sec
    }
}
