import ArgumentParser
import DurableQueue

extension DQ.EventCommand {
    struct Set: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the event (wakes its waiters).",
            discussion: HelpExamples.discussion("event set"))
        @OptionGroup var location: Location<Event>
        var request: CallRequest { Self.request(location.target) }

        /// What one `dq event set` asks for, however its command line was parsed.
        static func request(_ event: Target<Event>) -> CallRequest {
            event.request { try $0.set() }
        }
    }
}
