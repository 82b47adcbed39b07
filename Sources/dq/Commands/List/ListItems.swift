import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ.ListCommand {
    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "items",
            abstract: "Print every value, one per line (or --json).")
        @OptionGroup var location: Location<SharedList>
        @Flag(name: .long, help: "Print a JSON array of strings (values not UTF-8 as {\"base64\":…}).") var json = false

        /// One value of `--json`: a string, or `{"base64":…}` if it is not UTF-8.
        struct ItemJSON: Encodable {
            let value: Data

            func encode(to encoder: any Encoder) throws {
                if let text = String(data: value, encoding: .utf8) {
                    var container = encoder.singleValueContainer()
                    try container.encode(text)
                } else {
                    try ["base64": value.base64EncodedString()].encode(to: encoder)
                }
            }
        }

        func run() throws {
            let items = try location.open().items()
            if json {
                Output.standardOutput.write(Array((try JSONLine.encode(items.map(ItemJSON.init)) + "\n").utf8))
            } else {
                MessagePrinter.printLines(items)
            }
        }
    }
}
