import ArgumentParser
import DurableQueue

extension DQ {
    struct RetryDead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry-dead",
            abstract: "Put a queue's dead letters back in the queue, with no attempts counted.",
            discussion: "Prints nothing unless --json, which prints {\"retried\":N}.")

        @OptionGroup var location: Location<Queue>

        @Flag(name: .long, help: "Print {\"retried\":N}.")
        var json = false

        func run() throws {
            let count = try location.open().retryDead()
            if json { Output.standardOutput.write(Array((try JSONLine.encode(["retried": count]) + "\n").utf8)) }
        }
    }
}
