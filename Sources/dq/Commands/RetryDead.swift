import ArgumentParser
import DurableQueue

extension DQ {
    struct RetryDead: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry-dead",
            abstract: "Put a queue's dead letters back in the queue, with no attempts counted.",
            discussion: HelpExamples.discussion("retry-dead", "Prints nothing unless --json, which prints {\"retried\":N}."))

        @OptionGroup var location: Location<Queue>

        @Flag(name: .long, help: "Print {\"retried\":N}.")
        var json = false

        var request: CallRequest<Queue> { location.target.reporting("retried", json: json) { try $0.retryDead() } }
    }
}
