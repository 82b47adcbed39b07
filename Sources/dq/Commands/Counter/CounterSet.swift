import ArgumentParser
import DurableQueue

extension DQ.CounterCommand {
    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the value to N.",
            usage: "dq counter set <counter> <n> [--db <path>] [--sync <normal|full>]")
        @OptionGroup var location: Location<Counter>
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The value (may be negative).", valueName: "n")) var values: [String] = []
        func validate() throws {
            if values.count != 1 || Int64(values[0]) == nil {
                throw ValidationError("give one whole number, as in: dq counter set NAME -1")
            }
        }
        func run() throws { try location.open().set(Int64(values[0])!) }
    }
}
