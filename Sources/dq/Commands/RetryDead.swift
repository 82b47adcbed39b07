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

        @Option(name: .long, help: ArgumentHelp("The first argument is a stream: put this consumer group's dead letters back (all of them).", valueName: "group"))
        var group: String?

        func validate() throws {
            if let group {
                try Parse.name(group, what: "group name")
                if !ids.isEmpty { throw ValidationError("--group puts every dead letter of the group back; give no ids") }
            }
        }

        var request: CallRequest {
            let ids = ids
            if let group {
                let stream = location.name
                return location.target.request { [json] queue in
                    let retried = try queue.store.stream(stream).existingGroup(group).retryDead()
                    if json { try Output.standardOutput.writeJSONLine(["retried": retried]) }
                }
            }
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
