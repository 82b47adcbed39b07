import ArgumentParser
import DurableQueue

extension DQ.EventCommand {
    struct IsSet: RequestCommand {
        static let configuration = CommandConfiguration(commandName: "is-set", abstract: "Exit 0 if the event is set, 1 if not.",
            discussion: HelpExamples.discussion("event is-set"))
        @OptionGroup var location: ReadLocation<Event>
        var request: CallRequest { Self.request(location.target) }

        /// What one `dq event is-set` asks for, however its command line was parsed.
        static func request(_ event: Target<Event>) -> CallRequest {
            event.reading.request { if try !$0.isSet() { throw ExitCode(1) } }
        }
    }
}
