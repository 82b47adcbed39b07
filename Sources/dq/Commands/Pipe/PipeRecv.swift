import ArgumentParser
import DurableQueue

extension DQ.PipeCommand {
    struct Recv: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recv",
            abstract: "Take the next message the other end sent and print it.",
            discussion: HelpExamples.discussion("pipe recv", """
                Prints the body as get does (a newline after it unless it ends with one; \
                --raw: the stored bytes exactly) and removes the message in the same \
                transaction (at-most-once). Waits until one arrives unless --timeout or --no-wait is \
                given; exits 1 with nothing printed when none came. --json prints get --json's \
                object, its "queue" being the pipe's name.
                """))
        @OptionGroup var pipe: EndOptions

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long (250ms, 5s, 2m, 1h30m, 1d).", valueName: "duration"),
                transform: Parse.duration)
        var timeout: Duration?

        @Flag(name: .long, help: "Do not wait: exit 1 at once if nothing was sent.")
        var noWait = false

        @Flag(name: .long, help: "Print one JSON object: id, queue, priority, attempt, enqueued_at, body (body_base64 if not UTF-8).")
        var json = false

        @Flag(name: .long, help: "Print the stored bytes exactly: no newline added, nothing escaped.")
        var raw = false

        func validate() throws {
            if noWait && timeout != nil { throw ValidationError("--no-wait and --timeout cannot be combined") }
            try Framing.check(raw: raw, json: json)
        }

        func run() throws {
            let interrupt = try StopSignal.interrupt()
            let end = try pipe.open()
            guard let message = try end.receive(timeout: noWait ? .zero : timeout, interrupt: interrupt) else {
                throw StopSignal.nothingCame
            }
            // The pipe's name, not the hidden queue that carries its messages.
            let shown = Message(id: message.id, queue: end.name, body: message.body, priority: message.priority,
                                enqueuedAt: message.enqueuedAt, attempt: message.attempt)
            try MessagePrinter(json: json, framing: Framing(nul: false, raw: raw)).print([shown])
        }
    }
}
