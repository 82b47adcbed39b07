import ArgumentParser
import DurableQueue

extension DQ {
    struct Ack: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack",
            abstract: "Settle leased deliveries as done: the messages are removed.",
            discussion: "Exits 65 if a receipt is stale (the message was settled, or its lease ran out and it was delivered again).")

        @OptionGroup var location: Location<Queue>

        @Argument(help: "Receipts from dq get --lease --json.", transform: Parse.receipt)
        var receipts: [Receipt]

        var request: AckRequest { AckRequest(store: location.store, queue: location.name, receipts: receipts) }
    }

    struct Nack: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "nack",
            abstract: "Hand a leased delivery back to the queue for another try.",
            discussion: """
                The message is deliverable again at once, or after --delay. After --max-attempts \
                deliveries it goes to the dead letters instead. Exits 65 if the receipt is stale.
                """)

        @OptionGroup var location: Location<Queue>

        @Argument(help: "The receipt from dq get --lease --json.", transform: Parse.receipt)
        var receipt: Receipt

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Deliver again no sooner than this.", valueName: "duration"), transform: Parse.duration)
        var delay: Duration = .zero

        @Option(name: .long, help: "Deliveries after which the message goes to the dead letters.")
        var maxAttempts: Int = Queue.defaultMaxAttempts

        var request: NackRequest {
            NackRequest(store: location.store, queue: location.name, receipt: receipt, delay: delay, maxAttempts: maxAttempts)
        }
    }

    struct Extend: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "extend",
            abstract: "Make a lease end DURATION from now (keep a long job from being delivered again).",
            discussion: "Exits 65 if the receipt is stale.")

        @OptionGroup var location: Location<Queue>

        @Argument(help: "The receipt from dq get --lease --json.", transform: Parse.receipt)
        var receipt: Receipt

        @Argument(help: ArgumentHelp("How long from now the lease should last (30s, 5m).", valueName: "duration"),
                  transform: Parse.duration)
        var duration: Duration

        var request: ExtendRequest {
            ExtendRequest(store: location.store, queue: location.name, receipt: receipt, duration: duration)
        }
    }

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
            let dead = try location.open().deadLetters()
            if dead.isEmpty { throw ExitCode(1) }
            MessagePrinter(json: json, separated: true, nulSeparated: nulSeparated).print(dead)
        }
    }

    struct RetryDead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry-dead",
            abstract: "Put a queue's dead letters back in the queue, with no attempts counted.",
            discussion: "Prints nothing unless --json, which prints {\"retried\":N}.")

        @OptionGroup var location: Location<Queue>

        @Flag(name: .long, help: "Print {\"retried\":N}.")
        var json = false

        func run() throws {
            let count = try location.open().retryDead()
            if json { Output.standardOutput.write(Array("{\"retried\":\(count)}\n".utf8)) }
        }
    }
}

/// What one `dq ack` asks for (see `CommandRequest`).
struct AckRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var receipts: [Receipt]

    func validate() throws {
        if receipts.isEmpty { throw ValidationError("give at least one receipt") }
    }

    func run() throws {
        let queue = try store.open().queue(self.queue)
        for receipt in receipts { try queue.ack(receipt) }
    }
}

/// What one `dq nack` asks for (see `CommandRequest`).
struct NackRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var receipt: Receipt
    var delay: Duration = .zero
    var maxAttempts = Queue.defaultMaxAttempts

    func validate() throws {
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
    }

    func run() throws {
        try store.open().queue(queue).nack(receipt, delay: delay, maxAttempts: maxAttempts)
    }
}

/// What one `dq extend` asks for (see `CommandRequest`).
struct ExtendRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var receipt: Receipt
    var duration: Duration

    func validate() throws {
        if duration <= .zero { throw ValidationError("the duration must be longer than zero") }
    }

    func run() throws {
        try store.open().queue(queue).extend(receipt, by: duration)
    }
}
