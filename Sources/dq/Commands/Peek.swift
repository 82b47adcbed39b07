import ArgumentParser
import DurableQueue

extension DQ {
    struct Peek: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "peek",
            abstract: "Print the next messages of a queue without removing them.",
            discussion: "Output is as for get; exits 1 when the queue has nothing deliverable.")

        @OptionGroup var location: Location<Queue>

        @Option(name: .customShort("n"), parsing: .unconditional, help: "Show up to N messages.")
        var count: Int = 1

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print one JSON object per line.")
        var json = false

        func validate() throws {
            if count < 1 { throw ValidationError("-n must be at least 1") }
        }

        func run() throws {
            let messages = try location.openForReading().peek(limit: count)
            if messages.isEmpty { throw ExitCode(1) }
            try MessagePrinter(json: json, separated: count > 1, nulSeparated: nulSeparated).print(messages)
        }
    }
}
