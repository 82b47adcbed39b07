import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ.KV {
    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "items",
            abstract: "Print every key and value: KEY<TAB>VALUE per line, or --json.",
            discussion: HelpExamples.discussion("kv items", "--json prints {\"key\":…,\"value\":…} per line (value_base64 if not UTF-8); use it when keys or values may hold tabs or newlines."))
        @OptionGroup var location: ReadLocation<Dict>
        @Flag(name: .long, help: "One JSON object per line.") var json = false

        func run() throws {
            let items = try location.open().items()
            if json { return try Output.standardOutput.writeJSONLines(items.lazy.map { ItemJSON(key: $0, value: $1) }) }
            // Bytes, not text: a value that is not UTF-8 is printed as it is, as `kv get` does.
            var out = Data()
            for (key, value) in items { out += Data((key + "\t").utf8) + value + Data("\n".utf8) }
            Output.standardOutput.write(out)
        }
    }
}
