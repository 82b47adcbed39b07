import DQSystem
import DurableQueue
import FoundationEssentials

/// JSON string literals and timestamps as dq writes them (`JSONLine` writes every
/// string with `string(_:)`).
enum JSONText {
    /// A JSON string literal (RFC 8259 escaping).
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// RFC 3339 in UTC with microseconds: `2026-11-24T21:07:34.123456Z`.
    static func timestamp(_ date: Date) -> String {
        let micros = Timestamp.microseconds(of: date)
        let parts = CalendarZone.utc.fields(micros / 1_000_000)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let fraction = String(micros % 1_000_000)
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))"
            + "T\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2))"
            + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }
}
