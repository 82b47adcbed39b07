import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ.ListCommand {
    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "items",
            abstract: "Print every value, one per line (or --json).",
            discussion: HelpExamples.discussion("list items", "--json prints {\"index\":…,\"value\":…} per line (value_base64 if not UTF-8), oldest first."))
        @OptionGroup var location: ReadLocation<SharedList>
        @Flag(name: .long, help: "One JSON object per line.") var json = false

        func run() throws {
            let items = try location.open().items()
            if json {
                try Output.standardOutput.writeJSONLines(items.enumerated().lazy.map { ItemJSON(index: $0, value: $1) })
            } else {
                MessagePrinter.printLines(items)
            }
        }
    }
}
