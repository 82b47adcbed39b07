import ArgumentParser
import DurableQueue

extension StreamStart: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

extension DQ {
    struct Subscribe: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "subscribe",
            abstract: "Take a stream's next entries for a consumer group and print them.",
            discussion: HelpExamples.discussion("subscribe", """
                The group is made at first use, starting at --from: 'last' (the default: \
                only entries published from then on), 'first' (every entry the log still \
                holds), or a sequence number; an existing group keeps its place. Each entry \
                goes to one subscriber of the group; every group gets every entry. Without \
                --lease an entry counts as acked once printed (at-most-once); with --lease \
                (and --json) settle it with dq ack/nack/extend STREAM RECEIPT. Waits as dq get \
                does; exits 1 with nothing printed when nothing came.
                """))

        @OptionGroup var location: Location<DurableQueue.Stream>

        @Option(name: .long, help: ArgumentHelp("The consumer group.", valueName: "group"))
        var group: String

        @Option(name: .long, help: ArgumentHelp("Where a new group starts: first, last, or a sequence number.", valueName: "first|last|seq"))
        var from: StreamStart = .last

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long (250ms, 5s, 2m).", valueName: "duration"),
                transform: Parse.duration)
        var timeout: Duration?

        @Flag(name: .long, help: "Do not wait: exit 1 at once if nothing is there.")
        var noWait = false

        @Option(name: .customShort("n"), parsing: .unconditional, help: "Take up to N entries (in one transaction).")
        var count: Int = 1

        @Flag(name: .long, help: "Keep printing entries as they arrive, until SIGINT or SIGTERM.")
        var follow = false

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print the stored bytes exactly: no newline added, nothing escaped.")
        var raw = false

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Lease each entry for this long (needs --json).", valueName: "duration"),
                transform: Parse.duration)
        var lease: Duration?

        @Option(name: .long, help: "With --lease: deliveries before a returning entry goes to the group's dead letters.")
        var maxAttempts: Int = Queue.defaultMaxAttempts

        @Flag(name: .long, help: "Print one JSON object per line: stream, group, seq, attempt, published_at, body (body_base64 if not UTF-8).")
        var json = false

        func validate() throws {
            try Parse.name(group, what: "group name")
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
            let group = try location.open().group(self.group, from: from)
            let printer = EntryPrinter(json: json, framing: Framing(nul: nulSeparated, raw: raw), group: self.group)
            func take(_ timeout: Duration?) throws -> Bool {
                if let lease {
                    // The lease outlives this process: the script acks it with another dq.
                    let leased = try group.receive(lease: lease, limit: count, timeout: timeout, maxAttempts: maxAttempts,
                                                   releaseOnExit: false, interrupt: interrupt)
                    try printer.print(leased)
                    return !leased.isEmpty
                }
                let entries = try group.get(limit: count, timeout: timeout, interrupt: interrupt)
                try printer.print(entries)
                return !entries.isEmpty
            }
            if follow {
                while StopSignal.pending == nil { _ = try take(nil) }
                return
            }
            // As dq get: give back some free pages now, if a drained backlog left many.
            defer { _ = try? group.stream.store.reclaimSpace(budget: 4_000) }
            if try take(noWait ? .zero : timeout) { return }
            throw StopSignal.nothingCame
        }
    }
}
