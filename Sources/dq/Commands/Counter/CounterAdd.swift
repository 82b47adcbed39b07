import ArgumentParser
import DurableQueue

extension DQ.CounterCommand {
    struct Add: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add N (default 1, may be negative) and print the new value.",
            usage: "dq counter add <counter> [<n>] [--db <path>] [--sync <normal|full>]",
            discussion: HelpExamples.discussion("counter add"))
        @OptionGroup var location: Location<Counter>
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The amount (may be negative; default 1).", valueName: "n")) var amounts: [String] = []
        var amount: Int64 { get throws { try DQ.CounterCommand.numbers(amounts, counts: 0...1, else: "give one whole number to add, as in: dq counter add NAME -1").first ?? 1 } }
        func validate() throws { _ = try amount }
        var request: CallRequest { Self.request(location.target, amount: (try? amount) ?? 1) }

        /// What one `dq counter add` asks for, however its command line was parsed.
        static func request(_ counter: Target<Counter>, amount: Int64 = 1) -> CallRequest {
            counter.printing { try $0.add(amount) }
        }
    }
}
