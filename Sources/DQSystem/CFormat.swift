@preconcurrency import Glibc

/// Number formatting by the C library, which rounds as `printf` does.
public enum CFormat {
    /// `snprintf("%.*f", digits, value)`: `value` with `digits` decimals, or `nil` if it
    /// does not fit in 63 characters.
    ///
    /// For example, `CFormat.fixed(2.345, digits: 1)` is `"2.3"`.
    public static func fixed(_ value: Double, digits: Int) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = withVaList([Int32(digits), value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.*f", arguments) }
        }
        guard count >= 0 && Int(count) < buffer.count else { return nil }
        return String(decoding: buffer[..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
