import ArgumentParser
import DurableQueue

extension DQ.CounterCommand {
    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the value to N.",
            usage: "dq counter set <counter> <n> [--db <path>] [--sync <normal|full>]",
            discussion: HelpExamples.discussion("counter set"))
        @OptionGroup var location: Location<Counter>
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The value (may be negative).", valueName: "n")) var values: [String] = []
        var value: Int64 { get throws { try DQ.CounterCommand.numbers(values, counts: 1...1, else: "give one whole number, as in: dq counter set NAME -1")[0] } }
        func validate() throws { _ = try value }
        func run() throws { try location.open().set(value) }
    }
}
