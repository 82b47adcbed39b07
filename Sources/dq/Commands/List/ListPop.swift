import ArgumentParser
import DurableQueue

extension DQ.ListCommand {
    struct Pop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pop",
            abstract: "Remove the last value and print it; exit 1 if the list is empty.",
            discussion: HelpExamples.discussion("list pop", "Printed as kv get prints a value (a newline added unless it ends with one; --raw for the exact bytes)."))
        @OptionGroup var location: Location<SharedList>
        @Flag(name: .long, help: "Print the stored bytes exactly: no newline added, nothing escaped.")
        var raw = false
        func run() throws {
            guard let value = try location.open().pop() else { throw ExitCode(1) }
            Framing(nul: false, raw: raw).write(value)
        }
    }
}
