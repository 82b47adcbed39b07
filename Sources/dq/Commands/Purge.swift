import ArgumentParser
import DurableQueue

extension DQ {
    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "purge",
            abstract: "Delete every message of a queue (ready, delayed and leased; dead letters stay unless --dead).",
            discussion: "Prints nothing unless --json, which prints {\"purged\":N}. With --dead, deletes only the dead letters.")

        @OptionGroup var location: Location<Queue>

        @Flag(name: .long, help: "Print {\"purged\":N}.")
        var json = false

        @Flag(name: .long, help: "Delete the dead letters instead.")
        var dead = false

        func run() throws {
            let queue = try location.open()
            let purged = dead ? try queue.purgeDead() : try queue.purge()
            if json { Output.standardOutput.write(Array((try JSONLine.encode(["purged": purged]) + "\n").utf8)) }
        }
    }
}
