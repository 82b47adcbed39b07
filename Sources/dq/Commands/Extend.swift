import ArgumentParser
import DurableQueue

extension DQ {
    struct Extend: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "extend",
            abstract: "Make a lease end DURATION from now (keep a long job from being delivered again).",
            discussion: HelpExamples.discussion("extend", "Exits 65 if the receipt is stale."))

        @OptionGroup var location: Location<Queue>

        @Argument(help: "The receipt from dq get --lease --json (or dq subscribe --lease --json, with QUEUE the stream).", transform: Parse.receipt)
        var receipt: SettleReceipt

        @Argument(help: ArgumentHelp("How long from now the lease should last (30s, 5m).", valueName: "duration"),
                  transform: Parse.duration)
        var duration: Duration

        var request: ExtendRequest {
            ExtendRequest(store: location.store, queue: location.name, receipt: receipt, duration: duration)
        }
    }
}

/// What one `dq extend` asks for (see `CommandRequest`).
struct ExtendRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var receipt: SettleReceipt
    var duration: Duration

    func validate() throws {
        if duration <= .zero { throw ValidationError("the duration must be longer than zero") }
    }

    func run() throws {
        try receipt.extend(in: store.open(), queue, by: duration)
    }
}
