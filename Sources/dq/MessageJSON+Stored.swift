import DurableQueue

extension MessageJSON {
    /// A message in any state as `show`, `peek --follow`, `peek --delayed` and `peek
    /// --leased` print it with `--json`: `get --json`'s fields with `"state"`, and
    /// `"due_at"`, `"leased_until"` or `"dead_at"` where they apply.
    init(_ stored: StoredMessage) {
        self.init(stored.message, stored: stored)
    }

    /// Writes `messages` to standard output, one JSON line each.
    static func print(_ messages: [StoredMessage]) throws {
        try Output.standardOutput.writeJSONLines(messages.lazy.map { MessageJSON($0) })
    }
}
