import ArgumentParser
import DurableQueue

extension DQ {
    struct Get: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Take the next message off a queue and print it.",
            discussion: HelpExamples.discussion("get", """
                Prints the body to standard output and removes the message in the same \
                transaction (at-most-once). Waits until a message arrives unless --timeout or \
                --no-wait is given; exits 1 with nothing printed when none came. Each body \
                is followed by a newline unless it ends with one (by NUL with -0; nothing \
                with --raw, which prints the stored bytes exactly). To a terminal, control \
                characters and bytes that are not UTF-8 are shown escaped (\\x1b) unless \
                --raw. --follow prints messages as they arrive until SIGINT/SIGTERM, then \
                exits 0.
                """))

        @OptionGroup var location: Location<Queue>

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long (250ms, 5s, 2m, 1h30m, 1d).", valueName: "duration"),
                transform: Parse.duration)
        var timeout: Duration?

        @Flag(name: .long, help: "Do not wait: exit 1 at once if the queue is empty.")
        var noWait = false

        @Option(name: .customShort("n"), parsing: .unconditional, help: "Take up to N messages (in one transaction).")
        var count: Int = 1

        @Flag(name: .long, help: "Keep printing messages as they arrive, until SIGINT or SIGTERM.")
        var follow = false

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print the stored bytes exactly: no newline added, nothing escaped.")
        var raw = false

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Lease the message for this long instead of removing it (needs --json).", valueName: "duration"),
                transform: Parse.duration)
        var lease: Duration?

        @Option(name: .long, help: "With --lease: deliveries before a returning message goes to the dead letters.")
        var maxAttempts: Int = Queue.defaultMaxAttempts

        @Flag(name: .long, help: "Print one JSON object per line: id, queue, priority, attempt, enqueued_at, body (body_base64 if not UTF-8).")
        var json = false

        /// The same request as `QuickPath` builds from a plain command line.
        var request: GetRequest {
            GetRequest(store: location.store, queue: location.name, timeout: timeout, noWait: noWait, count: count,
                       follow: follow, nulSeparated: nulSeparated, raw: raw, lease: lease, maxAttempts: maxAttempts, json: json)
        }
    }
}

/// What one `dq get` asks for, however its command line was parsed (by ArgumentParser
/// for `DQ.Get`, or by `QuickPath`).
struct GetRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var timeout: Duration?
    var noWait = false
    var count = 1
    var follow = false
    var nulSeparated = false
    var raw = false
    var lease: Duration?
    var maxAttempts = Queue.defaultMaxAttempts
    var json = false

    func validate() throws {
        if count < 1 { throw ValidationError("-n must be at least 1") }
        if noWait && timeout != nil { throw ValidationError("--no-wait and --timeout cannot be combined") }
        if follow && (noWait || timeout != nil) { throw ValidationError("--follow waits for ever; drop --no-wait/--timeout") }
        if let lease {
            if lease <= .zero { throw ValidationError("--lease must be longer than zero") }
            if !json { throw ValidationError("--lease needs --json: the receipt to ack with is in the JSON") }
        }
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        try Framing.check(nul: nulSeparated, raw: raw, json: json)
    }

    func run() throws {
        let interrupt = try StopSignal.interrupt()
        let queue = try store.open().queue(self.queue)
        let printer = MessagePrinter(json: json, framing: Framing(nul: nulSeparated, raw: raw))
        /// Takes what is there now without a doorbell; only if nothing is, waits (a
        /// blocked read sets up an inotify watch and counts itself among the waiters).
        func take(_ timeout: Duration?) throws -> Bool {
            if timeout != .zero, try takeOnce(.zero) { return true }
            return try takeOnce(timeout)
        }
        func takeOnce(_ timeout: Duration?) throws -> Bool {
            if let lease {
                // The lease outlives this process: the script acks it with another dq.
                let leased = try queue.receive(lease: lease, limit: count, timeout: timeout, maxAttempts: maxAttempts,
                                               releaseOnExit: false, interrupt: interrupt)
                try printer.print(leased)
                return !leased.isEmpty
            }
            let messages = try queue.get(limit: count, timeout: timeout, interrupt: interrupt)
            try printer.print(messages)
            return !messages.isEmpty
        }
        if follow {
            while StopSignal.pending == nil { _ = try take(nil) }
            return
        }
        defer {
            // A short-lived dq cannot leave this to a background thread: give back some
            // free pages now, if a drained backlog left many (a few ms at most).
            _ = try? queue.store.reclaimSpace(budget: 4_000)
        }
        if try take(noWait ? .zero : timeout) { return }
        throw StopSignal.nothingCame
    }
}
