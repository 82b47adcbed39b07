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
