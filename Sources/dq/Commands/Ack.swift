import ArgumentParser
import DurableQueue

extension DQ {
    struct Ack: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack",
            abstract: "Settle leased deliveries as done: the messages are removed.",
            discussion: HelpExamples.discussion("ack", "Exits 65 if a receipt is stale (the message was settled, or its lease ran out and it was delivered again), 64 if it is from another queue; the other receipts are still acked, and the error line names each receipt that was not."))

        @OptionGroup var location: Location<Queue>

        @Argument(help: "Receipts from dq get --lease --json (or dq subscribe --lease --json, with QUEUE the stream).", transform: Parse.receipt)
        var receipts: [SettleReceipt]

        var request: AckRequest { AckRequest(store: location.store, queue: location.name, receipts: receipts) }
    }
}

/// What one `dq ack` asks for (see `CommandRequest`).
struct AckRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var receipts: [SettleReceipt]

    func validate() throws {
        if receipts.isEmpty { throw ValidationError("give at least one receipt") }
    }

    func run() throws {
        let store = try store.open()
        // A receipt that cannot be acked does not stop the others: their messages were
        // handled, and left unacked they would be delivered again. A receipt named twice
        // is acked once.
        var seen = Set<SettleReceipt>()
        var failed: [DQError] = []
        for receipt in receipts where seen.insert(receipt).inserted {
            do {
                try receipt.ack(in: store, queue)
            } catch {
                guard error.kind == .staleReceipt || error.kind == .invalidArgument else { throw error }
                failed.append(error)
            }
        }
        guard let first = failed.first else { return }
        if seen.count == 1 { throw first }
        let reasons = failed.map(\.message).joined(separator: "; ")
        throw DQError(first.kind, "\(seen.count - failed.count) of \(seen.count) receipts acked, \(failed.count) not: \(reasons)")
    }
}
