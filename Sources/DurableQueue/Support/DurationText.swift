/// Durations as users type them: a non-negative number and a unit, as in `250ms`,
/// `1.5s`, `2m`, `1h`, `1d`, or several such parts added up, as in `1h30m` or `2m30s`
/// (`us` is microseconds, `d` 24 hours); a bare number is seconds.
///
/// For example:
///
/// ```swift
/// let lease = try DurationText.parse("1.5s")        // .milliseconds(1500)
/// let text = DurationText.format(.seconds(90))      // "1.5m"
/// ```
public enum DurationText {
    /// The units, longest suffix first where one ends another ("ms" before "m" and "s").
    private static let units: [(name: String, microseconds: Double)] = [
        ("ms", 1_000), ("us", 1), ("µs", 1), ("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000),
    ]

    /// Parses `text` into a `Duration`, rounded to the microsecond.
    ///
    /// No spaces or signs are accepted, and no exponent.
    ///
    /// For example:
    ///
    /// ```swift
    /// let timeout = try DurationText.parse("1h30m")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` naming what is wrong.
    public static func parse(_ text: String) throws(DQError) -> Duration {
        let invalid = DQError(.invalidArgument, "invalid duration '\(text)': use a number and a unit, as in 250ms, 5s, 2m, 1h, 1d or 1h30m")
        var rest = Substring(text)
        var micros: Double = 0
        var parts = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(number.count)
            guard number.contains(where: \.isNumber), number.filter({ $0 == "." }).count <= 1, let value = Double(number)
            else { throw invalid }
            parts += 1
            guard let unit = units.first(where: { rest.hasPrefix($0.name) }) else {
                // A bare number is seconds, alone.
                guard rest.isEmpty, parts == 1 else { throw invalid }
                micros = value * 1_000_000
                break
            }
            rest = rest.dropFirst(unit.name.count)
            micros += value * unit.microseconds
        }
        guard parts > 0 else { throw invalid }
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
