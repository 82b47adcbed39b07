import ArgumentParser

extension DQ {
    struct CounterCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "counter",
            abstract: "A shared integer: atomic add, get, set, wait.",
            discussion: HelpExamples.discussion("counter"),
            subcommands: [Add.self, Get.self, Set.self, Wait.self, Drop.self])

        /// The whole numbers a subcommand was given, from the arguments it takes "all
        /// unrecognized" (so that `-5` is a number, not an unknown option): the first `--`
        /// among them, which ArgumentParser keeps there, is dropped, as in `add c -- -5`.
        /// A usage error saying `problem` unless there are `counts` of them, all whole
        /// numbers.
        static func numbers(_ arguments: [String], counts: ClosedRange<Int>, else problem: String) throws -> [Int64] {
            var arguments = arguments
            if let terminator = arguments.firstIndex(of: "--") { arguments.remove(at: terminator) }
            let numbers = arguments.compactMap { Int64($0) }
            guard numbers.count == arguments.count, counts.contains(numbers.count) else {
                throw ValidationError(problem)
            }
            return numbers
        }
    }
}
