import ArgumentParser
import DurableQueue

extension DQ {
    struct RetryDead: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry-dead",
            abstract: "Put a queue's dead letters back in the queue, with no attempts counted.",
            discussion: HelpExamples.discussion("retry-dead", """
                Without ids, every dead letter goes back; with ids, only those (the others stay \
                dead). One transaction. Prints nothing unless --json, which prints \
                {"retried":N}. Ids that are not dead letters of the queue: exit 1 with a line \
                naming them, and the others are still put back.
                """))

        @OptionGroup var location: Location<Queue>

        @Argument(help: "Ids of the dead letters to put back (the \"id\" of dq dead --json); none: all.",
                  transform: Parse.messageID)
        var ids: [Int64] = []

        @Flag(name: .long, help: "Print {\"retried\":N}.")
        var json = false

        var request: CallRequest<Queue> {
            let ids = ids
            guard !ids.isEmpty else { return location.target.reporting("retried", json: json) { try $0.retryDead() } }
            return location.target.request { [json] queue in
                let retried = try queue.retryDead(ids: ids)
                if json { try Output.standardOutput.writeJSONLine(["retried": retried.count]) }
                if let missing = missingIDs(ids, found: retried) {
                    ErrorReport.fail("no dead letter \(missing) in queue \(queue.name)", status: 1)
                }
            }
        }
    }
}
