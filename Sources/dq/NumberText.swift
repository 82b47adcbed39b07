import DQSystem

/// Numbers and padding as the command line prints them, without Foundation's
/// formatters (which would load its locale data at every start).
enum NumberText {
    /// `value` with `digits` decimals, rounded as C's `printf("%.*f")` rounds.
    ///
    /// For example, `NumberText.fixed(2.345, digits: 1)` is `"2.3"`.
    static func fixed(_ value: Double, digits: Int) -> String {
        CFormat.fixed(value, digits: digits) ?? String(value)
    }
}

extension StringProtocol {
    /// Without the spaces and tabs at either end.
    var trimmingBlanks: SubSequence {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
