import ArgumentParser
import DurableQueue

extension DQ {
    struct Drop: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop",
            abstract: "Delete a queue entirely: its messages in every state, its dead letters and dedup keys.",
            discussion: HelpExamples.discussion("drop", """
                Afterwards the queue is not listed by dq queues or dq stats (purge keeps the dead \
                letters). One transaction; receipts of deleted leases become stale. Prints nothing \
                unless --json, which prints {"dropped":N} (messages and dead letters deleted).
                """))

        @OptionGroup var location: Location<Queue>

        @Flag(name: .long, help: "Print {\"dropped\":N}.")
        var json = false

        var request: CallRequest<Queue> { location.target.reporting("dropped", json: json) { try $0.drop() } }
    }
}
