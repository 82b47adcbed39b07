import ArgumentParser
import DurableQueue

extension DQ.ListCommand {
    struct Len: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "len",
            abstract: "Print the number of values.")
        @OptionGroup var location: Location<SharedList>
        func run() throws {
            Output.standardOutput.write(Array("\(try location.open().count())\n".utf8))
        }
    }
}
