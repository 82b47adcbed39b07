import DQSystem
import FoundationEssentials

/// Wall-clock time in microseconds since the Unix epoch: how the store records
/// enqueue and due times, so that every process on the machine agrees.
package enum Timestamp {
    package static func now() -> Int64 {
        SystemClock.realtimeMicroseconds()
    }

    /// A `Date` for microseconds since the epoch.
    package static func date(_ microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }

    /// Microseconds since the epoch of `date`, rounded: the inverse of `date(_:)`.
    package static func microseconds(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// A non-negative duration as whole microseconds, saturating instead of trapping.
    package static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000).partialValue
    }
}

/// A monotonic clock reading for deadlines of blocking waits (immune to wall-clock steps).
struct Deadline: Sendable {
    /// The monotonic instant (`monotonicNanoseconds`) it passes.
    let nanoseconds: UInt64

    /// A deadline `timeout` from now; `nil` means wait forever.
    static func after(_ timeout: Duration?) -> Deadline? {
        after(timeout, from: monotonicNanoseconds())
    }

    /// A deadline `timeout` after the monotonic instant `start`; `nil` means wait forever.
    static func after(_ timeout: Duration?, from start: UInt64) -> Deadline? {
        guard let timeout else { return nil }
        let micros = max(0, Timestamp.microseconds(timeout))
        let (sum, overflow) = start.addingReportingOverflow(UInt64(min(micros, Int64.max / 1_000)) * 1_000)
        return Deadline(nanoseconds: overflow ? .max : sum)
    }

    /// Time left, zero once passed.
    var remaining: Duration {
        let now = Self.monotonicNanoseconds()
        return now >= nanoseconds ? .zero : .nanoseconds(Int64(min(nanoseconds - now, UInt64(Int64.max))))
    }

    var hasPassed: Bool { Self.monotonicNanoseconds() >= nanoseconds }

    static func monotonicNanoseconds() -> UInt64 {
        SystemClock.monotonicNanoseconds()
    }
}
