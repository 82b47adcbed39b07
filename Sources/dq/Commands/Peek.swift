import ArgumentParser
import DurableQueue

extension DQ {
    struct Peek: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "peek",
            abstract: "Print the next messages of a queue without removing them.",
            discussion: HelpExamples.discussion("peek", "Output is as for get (a newline after each body unless it ends with one; -0, --raw, --json); exits 1 when the queue has nothing deliverable."))

        @OptionGroup var location: ReadLocation<Queue>

        @Option(name: .customShort("n"), parsing: .unconditional, help: "Show up to N messages.")
        var count: Int = 1

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print the stored bytes exactly: no newline added, nothing escaped.")
        var raw = false

        @Flag(name: .long, help: "Print one JSON object per line.")
        var json = false

        func validate() throws {
            if count < 1 { throw ValidationError("-n must be at least 1") }
            if raw && (nulSeparated || json) { throw ValidationError("--raw cannot be combined with -0 or --json") }
        }

        func run() throws {
            let messages = try location.open().peek(limit: count)
            if messages.isEmpty { throw ExitCode(1) }
            try MessagePrinter(json: json, framing: Framing(nul: nulSeparated, raw: raw)).print(messages)
        }
    }
}
