import ArgumentParser
import DurableQueue

extension DQ.ListCommand {
    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "append",
            abstract: "Append each VALUE, in order, in one transaction (- reads standard input).",
            discussion: HelpExamples.discussion("list append"))
        @OptionGroup var location: Location<SharedList>
        @Argument(help: "Values; - is standard input.") var values: [String]
        func validate() throws { if values.isEmpty { throw ValidationError("give at least one value") } }
        func run() throws {
            try location.open().append(contentsOf: zip(values, RawArguments.bytes(of: values)).map { $0 == "-" ? readStandardInput() : $1 })
        }
    }
}
