@preconcurrency import Glibc

/// Numbers and padding as the command line prints them, without Foundation's
/// formatters (which would load its locale data at every start).
enum NumberText {
    /// `value` with `digits` decimals, rounded as C's `printf("%.*f")` rounds.
    ///
    /// For example, `NumberText.fixed(2.345, digits: 1)` is `"2.3"`.
    static func fixed(_ value: Double, digits: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = withVaList([Int32(digits), value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.*f", arguments) }
        }
        guard count >= 0 && Int(count) < buffer.count else { return String(value) }
        return String(decoding: buffer[..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
