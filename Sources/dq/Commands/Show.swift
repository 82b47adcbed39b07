import ArgumentParser
import DurableQueue

extension DQ {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print one message by id, in whatever state it is (ready, delayed, leased or dead).",
            discussion: HelpExamples.discussion("show", """
                Prints the stored bytes of the body exactly, as get --raw does, and changes \
                nothing. --json prints \
                {"id":…,"queue":…,"state":…,"priority":…,"attempt":…,"enqueued_at":…,"body":…} \
                with "due_at" for a delayed message, "leased_until" for a leased one and \
                "dead_at" for a dead letter ("body_base64" if the body is not UTF-8); attempt is \
                the delivery it will be next (ready, delayed), the one under way (leased) or \
                the deliveries it had (dead). Exits 1 when the queue holds no message ID.
                """))

        @OptionGroup var location: ReadLocation<Queue>

        @Argument(help: "The message's id (the \"id\" of put --json or get --json).", transform: Parse.messageID)
        var id: Int64

        @Flag(name: .long, help: "Print the message and its state as one JSON object.")
        var json = false

        func run() throws {
            guard let stored = try location.open().message(id: id) else {
                ErrorReport.fail("no message \(id) in queue \(location.name)", status: 1)
            }
            if json {
                try MessageJSON.print([stored])
            } else {
                Output.standardOutput.write(stored.message.body)
            }
        }
    }
}
