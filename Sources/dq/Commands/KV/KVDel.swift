import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Del: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "del",
            abstract: "Remove KEY; exit 1 if it was absent.",
            discussion: HelpExamples.discussion("kv del"))
        @OptionGroup var location: Location<Dict>
        @OptionGroup var target: KeyArgument
        func run() throws {
            if try !location.open().delete(target.key) { throw ExitCode(1) }
        }
    }
}
