import ArgumentParser
import DurableQueue

extension DQ {
    struct Purge: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "purge",
            abstract: "Delete every message of a queue (ready, delayed and leased; dead letters stay unless --dead).",
            discussion: HelpExamples.discussion("purge", "Prints nothing unless --json, which prints {\"purged\":N}. With --dead, deletes only the dead letters."))

        @OptionGroup var location: Location<Queue>

        @Flag(name: .long, help: "Print {\"purged\":N}.")
        var json = false

        @Flag(name: .long, help: "Delete the dead letters instead.")
        var dead = false

        @Option(name: .long, help: ArgumentHelp("The first argument is a stream: purge this consumer group's entries (or, with --dead, its dead letters).", valueName: "group"))
        var group: String?

        func validate() throws {
            if let group { try Parse.name(group, what: "group name") }
        }

        var request: CallRequest {
            if let group {
                let stream = location.name
                return location.target.reporting("purged", json: json) { [dead] queue in
                    let group = try queue.store.stream(stream).existingGroup(group)
                    return dead ? try group.purgeDead() : try group.purge()
                }
            }
            return location.target.reporting("purged", json: json) { [dead] in dead ? try $0.purgeDead() : try $0.purge() }
        }
    }
}
