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

        var request: CallRequest<Queue> {
            location.target.reporting("purged", json: json) { [dead] in dead ? try $0.purgeDead() : try $0.purge() }
        }
    }
}
