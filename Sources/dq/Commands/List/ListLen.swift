import ArgumentParser
import DurableQueue

extension DQ.ListCommand {
    struct Len: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "len",
            abstract: "Print the number of values.",
            discussion: HelpExamples.discussion("list len"))
        @OptionGroup var location: ReadLocation<SharedList>
        var request: CallRequest { location.target.reading.printing { try $0.count() } }
    }
}
