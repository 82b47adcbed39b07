import ArgumentParser
import DurableQueue

extension DQ.EventCommand {
    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "clear",
            abstract: "Clear the event.",
            discussion: HelpExamples.discussion("event clear"))
        @OptionGroup var location: Location<Event>
        func run() throws { try location.open().clear() }
    }
}
