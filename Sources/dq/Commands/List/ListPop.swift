import ArgumentParser
import DurableQueue

extension DQ.ListCommand {
    struct Pop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pop",
            abstract: "Remove the last value and print it raw; exit 1 if the list is empty.")
        @OptionGroup var location: Location<SharedList>
        func run() throws {
            guard let value = try location.open().pop() else { throw ExitCode(1) }
            Output.standardOutput.write(value)
        }
    }
}
