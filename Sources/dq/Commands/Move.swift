import ArgumentParser
import DurableQueue

extension DQ {
    struct Move: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "move",
            abstract: "Move ready messages (or dead letters, with --dead) from one queue to another.",
            discussion: HelpExamples.discussion("move", """
                One transaction. Ready messages go in delivery order, dead letters oldest \
                first; each is put anew on DEST (new id, no attempts counted) with its body \
                bytes, priority and dedup key, unlike get | put. A message whose dedup key DEST \
                already holds is dropped, the one in DEST kept, and a line on stderr says how \
                many (--json: "duplicates"). Delayed and leased messages stay. Prints the number moved; --json prints \
                {"moved":N,"duplicates":M}.
                """))

        @OptionGroup var location: Location<Queue>

        @Argument(help: ArgumentHelp("The queue to move the messages to.", valueName: "dest"))
        var destination: String

        @Option(name: .customShort("n"), parsing: .unconditional, help: "Move at most N messages (default: all).")
        var count: Int?

        @Flag(name: .long, help: "Move the dead letters instead (a redrive): DEST gets them with no attempts counted.")
        var dead = false

        @Flag(name: .long, help: "Print {\"moved\":N,\"duplicates\":M}.")
        var json = false

        func validate() throws {
            try Parse.queueName(destination)
            if let count, count < 1 { throw ValidationError("-n must be at least 1") }
            if destination == location.name { throw ValidationError("the source and destination are the same queue") }
        }

        func run() throws {
            let source = try location.open()
            let result = try source.move(to: try source.store.queue(destination), limit: count, dead: dead)
            if json {
                try Output.standardOutput.writeJSONLine(MoveJSON(moved: result.moved, duplicates: result.duplicates))
            } else {
                Output.standardOutput.writeLine(result.moved)
            }
            if result.duplicates > 0 && !json {
                ErrorReport.warn("\(result.duplicates) message\(result.duplicates == 1 ? "" : "s") dropped: \(destination) already held \(result.duplicates == 1 ? "its dedup key" : "their dedup keys")")
            }
        }

        /// What `dq move --json` prints.
        struct MoveJSON: Encodable {
            let moved: Int
            let duplicates: Int
        }
    }
}
