import DQSystem
import FoundationEssentials

/// Stored bytes made safe to show on a terminal: a body holding escape sequences could
/// otherwise move the cursor, retitle the window or hide text. Newlines and tabs stay;
/// other control characters, DEL, C1 controls and bytes that are not UTF-8 are written
/// as `\xHH` (a C1 control as `\u{HH}`); text stays text.
///
/// For example:
///
/// ```swift
/// TerminalText.escaped(Data("red \u{1B}[31m".utf8))  // the bytes of `red \x1b[31m`
/// ```
enum TerminalText {
    /// Whether standard output is a terminal (asked once per process).
    static let isTerminal = FileDescriptor.standardOutput.isTerminal

    static func escaped(_ data: Data) -> [UInt8] {
        let bytes = [UInt8](data)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let length = sequenceLength(lead: bytes[index])
            let end = min(index + length, bytes.count)
            guard length > 0, let text = String(validating: bytes[index..<end], as: UTF8.self),
                  let scalar = text.unicodeScalars.first else {
                out += hex(bytes[index], prefix: "\\x", suffix: "")
                index += 1
                continue
            }
            if !isControl(scalar) {
                out += bytes[index..<end]
            } else if scalar.value < 0x80 {
                out += hex(UInt8(scalar.value), prefix: "\\x", suffix: "")
            } else {
                out += hex(UInt8(scalar.value), prefix: "\\u{", suffix: "}")
            }
            index = end
        }
        return out
    }

    /// The byte count of the UTF-8 sequence `lead` starts; 0 if it starts none.
    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0..<0x80: 1
        case 0xC2..<0xE0: 2
        case 0xE0..<0xF0: 3
        case 0xF0..<0xF5: 4
        default: 0
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0..<0x20, 0x7F, 0x80..<0xA0: true
        default: false
        }
    }

    private static func hex(_ byte: UInt8, prefix: String, suffix: String) -> [UInt8] {
        let digits = String(byte, radix: 16)
        return Array((prefix + (digits.count == 1 ? "0" : "") + digits + suffix).utf8)
    }
}
