import ArgumentParser
import DurableQueue

extension DQ {
    struct Ack: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack",
            abstract: "Settle leased deliveries as done: the messages are removed.",
            discussion: "Exits 65 if a receipt is stale (the message was settled, or its lease ran out and it was delivered again); the other receipts are still acked.")

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
        // A stale receipt does not stop the others: their messages were handled, and left
        // unacked they would be delivered again.
        var stale: [DQError] = []
        for receipt in receipts {
            do {
                try queue.ack(receipt)
            } catch {
                guard error.kind == .staleReceipt else { throw error }
                stale.append(error)
            }
        }
        guard let first = stale.first else { return }
        if receipts.count == 1 { throw first }
        throw DQError(.staleReceipt, "\(stale.count) of \(receipts.count) receipts are stale, \(receipts.count - stale.count) acked; first: \(first.message)")
    }
}
