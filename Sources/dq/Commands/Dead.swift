import ArgumentParser
import DurableQueue

extension DQ {
    struct Dead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dead",
            abstract: "List a queue's dead letters (messages that failed too many deliveries).",
            discussion: "Bodies are printed one per line (or NUL-separated with -0); --json adds id, attempt and enqueued_at. Exits 1 when there are none.")

        @OptionGroup var location: Location<Queue>

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print one JSON object per line.")
        var json = false

        func run() throws {
            let dead = try location.openForReading().deadLetters()
            if dead.isEmpty { throw ExitCode(1) }
            try MessagePrinter(json: json, separated: true, nulSeparated: nulSeparated).print(dead)
        }
    }
}
