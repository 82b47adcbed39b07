import ArgumentParser
import DurableQueue

extension DQ {
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Delete messages by id, whatever their state (ready, delayed, leased or dead).",
            discussion: HelpExamples.discussion("delete", """
                One transaction. A deleted lease's receipt becomes stale; a deleted message's \
                dedup key is free again. Prints nothing unless --json, which prints \
                {"deleted":N}. Ids the queue does not hold: exit 1 with a line naming them, \
                and the others are still deleted.
                """))

        @OptionGroup var location: Location<Queue>

        @Argument(help: "Ids of the messages (the \"id\" of put --json or get --json).", transform: Parse.messageID)
        var ids: [Int64]

        @Flag(name: .long, help: "Print {\"deleted\":N}.")
        var json = false

        func validate() throws {
            if ids.isEmpty { throw ValidationError("give at least one message id") }
        }

        func run() throws {
            let deleted = try location.open().delete(ids: ids)
            if json { try Output.standardOutput.writeJSONLine(["deleted": deleted.count]) }
            if let missing = missingIDs(ids, found: deleted) {
                let others = deleted.isEmpty ? "" : " (\(deleted.count) other\(deleted.count == 1 ? " was" : "s were") deleted)"
                ErrorReport.fail("no message \(missing) in queue \(location.name)\(others)", status: 1)
            }
        }
    }
}
