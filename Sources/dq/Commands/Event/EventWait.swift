import ArgumentParser
import DurableQueue

extension DQ.EventCommand {
    struct Wait: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "wait",
            abstract: "Wait until the event is set; exit 1 on timeout.",
            discussion: HelpExamples.discussion("event wait"))
        @OptionGroup var location: Location<Event>
        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long.", valueName: "duration"), transform: Parse.duration)
        var timeout: Duration?
        func run() throws {
            let interrupt = try StopSignal.interrupt()
            if try !location.open().wait(timeout: timeout, interrupt: interrupt) {
                throw StopSignal.nothingCame
            }
        }
    }
}
