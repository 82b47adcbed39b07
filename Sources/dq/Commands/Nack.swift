import ArgumentParser
import DurableQueue

extension DQ {
    struct Nack: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "nack",
            abstract: "Hand a leased delivery back to the queue for another try.",
            discussion: HelpExamples.discussion("nack", """
                The message is deliverable again at once, or after --delay. After --max-attempts \
                deliveries it goes to the dead letters instead. Exits 65 if the receipt is stale.
                """))

        @OptionGroup var location: Location<Queue>

        @Argument(help: "The receipt from dq get --lease --json (or dq subscribe --lease --json, with QUEUE the stream).", transform: Parse.receipt)
        var receipt: SettleReceipt

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Deliver again no sooner than this.", valueName: "duration"), transform: Parse.duration)
        var delay: Duration = .zero

        @Option(name: .long, help: "Deliveries after which the message goes to the dead letters.")
        var maxAttempts: Int = Queue.defaultMaxAttempts

        var request: NackRequest {
            NackRequest(store: location.store, queue: location.name, receipt: receipt, delay: delay, maxAttempts: maxAttempts)
        }
    }
}

/// What one `dq nack` asks for (see `CommandRequest`).
struct NackRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var receipt: SettleReceipt
    var delay: Duration = .zero
    var maxAttempts = Queue.defaultMaxAttempts

    func validate() throws {
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
    }

    func run() throws {
        try receipt.nack(in: store.open(), queue, delay: delay, maxAttempts: maxAttempts)
    }
}
