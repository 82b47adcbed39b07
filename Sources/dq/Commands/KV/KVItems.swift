import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ.KV {
    struct Items: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "items",
            abstract: "Print every key and value: KEY<TAB>VALUE per line, or --json.",
            discussion: "--json prints {\"key\":…,\"value\":…} per line (value_base64 if not UTF-8); use it when keys or values may hold tabs or newlines.")
        @OptionGroup var location: Location<Dict>
        @Flag(name: .long, help: "One JSON object per line.") var json = false
        func run() throws {
            var out = ""
            for (key, value) in try location.open().items() {
                if json {
                    let field = String(data: value, encoding: .utf8).map { "\"value\":\(JSONText.string($0))" }
                        ?? "\"value_base64\":\(JSONText.string(value.base64EncodedString()))"
                    out += "{\"key\":\(JSONText.string(key)),\(field)}\n"
                } else {
                    out += key + "\t" + String(decoding: value, as: UTF8.self) + "\n"
                }
            }
            Output.standardOutput.write(Array(out.utf8))
        }
    }
}
