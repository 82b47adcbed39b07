import ArgumentParser
import DurableQueue

extension DQ.CounterCommand {
    struct Get: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Print the value (0 if never set).",
            discussion: HelpExamples.discussion("counter get"))
        @OptionGroup var location: ReadLocation<Counter>
        var request: CallRequest { Self.request(location.target) }

        /// What one `dq counter get` asks for, however its command line was parsed.
        static func request(_ counter: Target<Counter>) -> CallRequest {
            counter.reading.printing { try $0.get() }
        }
    }
}
