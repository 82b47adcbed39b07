import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys",
            abstract: "Print every key, one per line, sorted.",
            discussion: HelpExamples.discussion("kv keys"))
        @OptionGroup var location: ReadLocation<Dict>
        func run() throws {
            let keys = try location.open().keys()
            Output.standardOutput.write(Array(keys.map { $0 + "\n" }.joined().utf8))
        }
    }
}
