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

        func run() throws {
            let items = try location.open().items()
            if json {
                try Output.standardOutput.writeJSONLine(items.map(JSONBytes.init))
            } else {
                MessagePrinter.printLines(items)
            }
        }
    }
}
