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

        /// One line of `--json`: the value's index and the value as text, or in base64 if
        /// it is not UTF-8.
        struct ItemJSON: Encodable {
            let index: Int
            let value: String?
            let valueBase64: String?

            enum CodingKeys: String, CodingKey { case index, value, valueBase64 = "value_base64" }

            init(index: Int, value: Data) {
                let bytes = JSONBytes(value)
                self.index = index
                self.value = bytes.text
                valueBase64 = bytes.base64
            }
        }

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
