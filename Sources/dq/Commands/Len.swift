import ArgumentParser
import DurableQueue

extension DQ {
    struct Len: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "len",
            abstract: "Print how many messages are ready to be received.",
            discussion: HelpExamples.discussion("len", "Delayed messages count once they are due; leased and dead ones do not."))

        @OptionGroup var location: ReadLocation<Queue>

        var request: CallRequest { Self.request(location.target) }

        /// What one `dq len` asks for, however its command line was parsed.
        static func request(_ queue: Target<Queue>) -> CallRequest {
            queue.reading.printing { try $0.count() }
        }
    }
}
