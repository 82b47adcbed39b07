import ArgumentParser
import DurableQueue

extension DQ {
    struct Dead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dead",
            abstract: "List a queue's dead letters (messages that failed too many deliveries).",
            discussion: HelpExamples.discussion("dead", """
                Bodies are printed as get prints them (a newline after each unless it ends with one, or NUL with -0). --json prints one \
                object per line with id, attempt (the deliveries it had), enqueued_at, dead_at, \
                and why it died when that was recorded: last_error, and exit_status or signal \
                (a name such as "SIGKILL") for a dq worker command. Exits 1 when there are none. \
                With --group, the first argument is a stream and the letters are that group's \
                entries (--json: seq, published_at, dead_at, last_error).
                """))

        @OptionGroup var location: ReadLocation<Queue>

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print one JSON object per line.")
        var json = false

        @Option(name: .long, help: ArgumentHelp("The first argument is a stream: list this consumer group's dead letters.", valueName: "group"))
        var group: String?

        func validate() throws {
            if let group { try Parse.name(group, what: "group name") }
        }

        func run() throws {
            if let group {
                let dead = try location.store.open().stream(location.name).existingGroup(group).deadLetters()
                if dead.isEmpty { throw ExitCode(1) }
                if json {
                    return try Output.standardOutput.writeJSONLines(dead.lazy.map { dead in
                        var json = EntryJSON(dead.entry, group: group)
                        json.deadAt = JSONText.timestamp(dead.deadAt)
                        json.lastError = dead.lastError
                        return json
                    })
                }
                return try EntryPrinter(json: false, framing: Framing(nul: nulSeparated, raw: false), group: group).print(dead.map(\.entry))
            }
            try Self.print(location.open().deadLetters(), json: json, framing: Framing(nul: nulSeparated, raw: false))
        }

        /// Prints dead letters as `dq dead` (and `dq peek --dead`) does; exit 1 for none.
        static func print(_ dead: [DeadLetter], json: Bool, framing: Framing) throws {
            if dead.isEmpty { throw ExitCode(1) }
            if json {
                try Output.standardOutput.writeJSONLines(dead.lazy.map { MessageJSON($0) })
            } else {
                try MessagePrinter(json: false, framing: framing).print(dead.map(\.message))
            }
        }
    }
}
