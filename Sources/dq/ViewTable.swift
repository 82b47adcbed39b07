import DurableQueue
import FoundationEssentials

/// The table `peek --delayed` and `peek --leased` print: fixed-width columns (so pages
/// line up without reading everything first), the body last.
enum ViewTable {
    static func header(_ state: StoredMessage.State) -> String {
        state == .leased ? line(["ID", "LEASED UNTIL", "ATTEMPT", "PRIORITY", "BODY"])
                         : line(["ID", "DUE", "PRIORITY", "BODY"])
    }

    static func row(_ stored: StoredMessage) -> String {
        let message = stored.message
        if let until = stored.leasedUntil {
            return line([String(message.id), JSONText.timestamp(until), String(message.attempt), String(message.priority),
                         body(message.body)])
        }
        return line([String(message.id), stored.dueAt.map(JSONText.timestamp) ?? "-", String(message.priority),
                     body(message.body)])
    }

    /// The body on one line: its text, as a JSON string if it has control characters
    /// (a newline would break the table), or its size if it is not UTF-8.
    static func body(_ body: Data) -> String {
        guard let text = String(data: body, encoding: .utf8) else { return "(\(body.count) bytes, not UTF-8)" }
        return text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } ? JSONText.string(text) : text
    }

    /// Cells padded to their column's width (ids 19 digits, times 27 characters).
    private static func line(_ cells: [String]) -> String {
        let widths = cells.count == 5 ? [19, 27, 7, 8] : [19, 27, 8]
        var text = ""
        for (index, cell) in cells.enumerated() {
            if index < widths.count {
                text += cell + String(repeating: " ", count: max(0, widths[index] - cell.count)) + "  "
            } else {
                text += cell
            }
        }
        return text + "\n"
    }
}
