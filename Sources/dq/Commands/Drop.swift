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
                unless --json, which prints {"dropped":N} (messages and dead letters deleted). \
                With --stream, the first argument is a stream: its log, its groups and every \
                entry they hold go, and N counts the log's entries.
                """))

        @OptionGroup var location: Location<Queue>

        @Flag(name: .long, help: "Print {\"dropped\":N}.")
        var json = false

        @Flag(name: .long, help: "Drop the stream of that name instead (its log, groups and their entries).")
        var stream = false

        var request: CallRequest {
            if stream {
                return location.target.reporting("dropped", json: json) { try $0.store.stream($0.name).drop() }
            }
            return location.target.reporting("dropped", json: json) { try $0.drop() }
        }
    }
}
