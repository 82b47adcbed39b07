/// Durations as users type them: a non-negative number and a unit, as in `250ms`,
/// `1.5s`, `2m`, `1h`; `us` is microseconds; a bare number is seconds.
///
/// For example:
///
/// ```swift
/// let lease = try DurationText.parse("1.5s")        // .milliseconds(1500)
/// let text = DurationText.format(.seconds(90))      // "1.5m"
/// ```
public enum DurationText {
    /// Parses `text` into a `Duration`, rounded to the microsecond.
    ///
    /// No spaces or signs are accepted, and no exponent.
    ///
    /// For example:
    ///
    /// ```swift
    /// let timeout = try DurationText.parse("250ms")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` naming what is wrong.
    public static func parse(_ text: String) throws(DQError) -> Duration {
        let units: [(suffix: String, microseconds: Double)] = [
            ("us", 1), ("µs", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000),
        ]
        var number = Substring(text)
        var scale: Double = 1_000_000
        for unit in units where text.hasSuffix(unit.suffix) {
            // "ms" ends in "s" too: the longest matching suffix wins because it is listed first.
            number = text.dropLast(unit.suffix.count)
            scale = unit.microseconds
            break
        }
        let isDecimal = !number.isEmpty
            && number.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
            && number.filter({ $0 == "." }).count <= 1
            && number != "."
        guard isDecimal, let value = Double(number) else {
            throw DQError(.invalidArgument, "invalid duration '\(text)': use a number and a unit, as in 250ms, 5s, 2m, 1h")
        }
        let micros = value * scale
        guard micros.isFinite, micros < 9.2e15 else {
            throw DQError(.invalidArgument, "duration '\(text)' is too long")
        }
        return .microseconds(Int64(micros.rounded()))
    }

    /// Formats a duration the way `parse` reads it, in the largest unit that keeps
    /// it readable: `850ms`, `3.2s`, `4m`, `2.5h`.
    ///
    /// Rounds to one decimal, so `parse(format(d))` may differ from `d` slightly.
    ///
    /// For example:
    ///
    /// ```swift
    /// print(DurationText.format(.milliseconds(850)))   // "850ms"
    /// ```
    public static func format(_ duration: Duration) -> String {
        let micros = Double(Timestamp.microseconds(duration))
        func trimmed(_ value: Double) -> String {
            let rounded = (value * 10).rounded() / 10
            return rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
        }
        switch micros {
        case ..<1_000: return trimmed(micros) + "us"
        case ..<1_000_000: return trimmed(micros / 1_000) + "ms"
        case ..<60_000_000: return trimmed(micros / 1_000_000) + "s"
        case ..<3_600_000_000: return trimmed(micros / 60_000_000) + "m"
        default: return trimmed(micros / 3_600_000_000) + "h"
        }
    }
}
