import ArgumentParser
import DurableQueue

extension DQ {
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take the next message off a queue and print it.",
            discussion: """
                Prints the body raw to standard output and removes the message in the same
                transaction (at-most-once). Waits until a message arrives unless --timeout or
                --no-wait is given; exits 1 with nothing printed when none came. With -n or
                --follow, each body is followed by a newline (unless it ends with one), or by
                NUL with -0. --follow prints messages as they arrive until SIGINT/SIGTERM,
                then exits 0.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The queue.")
        var queue: String

        @Option(name: .long, help: ArgumentHelp("Wait at most this long (250ms, 5s, 2m, 1h).", valueName: "duration"),
                transform: Parse.duration)
        var timeout: Duration?

        @Flag(name: .long, help: "Do not wait: exit 1 at once if the queue is empty.")
        var noWait = false

        @Option(name: .customShort("n"), help: "Take up to N messages (in one transaction).")
        var count: Int = 1

        @Flag(name: .long, help: "Keep printing messages as they arrive, until SIGINT or SIGTERM.")
        var follow = false

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print one JSON object per line: id, queue, priority, attempt, enqueued_at, body (body_base64 if not UTF-8).")
        var json = false

        func validate() throws {
            try Parse.queueName(queue)
            if count < 1 { throw ValidationError("-n must be at least 1") }
            if noWait && timeout != nil { throw ValidationError("--no-wait and --timeout cannot be combined") }
            if follow && (noWait || timeout != nil) { throw ValidationError("--follow waits for ever; drop --no-wait/--timeout") }
        }

        func run() throws {
            let interrupt = try WaitInterrupt()
            StopSignal.install(waking: interrupt)
            let queue = try global.openStore().queue(queue)
            let printer = MessagePrinter(json: json, separated: count > 1 || follow, nulSeparated: nulSeparated)
            if follow {
                while StopSignal.pending == nil {
                    printer.print(try queue.get(limit: count, timeout: nil, interrupt: interrupt))
                }
                return
            }
            let messages = try queue.get(limit: count, timeout: noWait ? .zero : timeout, interrupt: interrupt)
            if !messages.isEmpty { return printer.print(messages) }
            if let signal = StopSignal.pending { throw ExitCode(128 + signal) }
            throw ExitCode(1)
        }
    }
}
