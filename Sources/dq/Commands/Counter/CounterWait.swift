import ArgumentParser
import DurableQueue

extension DQ.CounterCommand {
    struct Wait: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "wait",
            abstract: "Wait until the value is at least N (a barrier), then print it; exit 1 on timeout.",
            usage: "dq counter wait [--db <path>] [--sync <normal|full>] <counter> <target> [--timeout <duration>]",
            discussion: HelpExamples.discussion("counter wait"))
        @OptionGroup var location: Location<Counter>
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Wait until the counter is at least this.", valueName: "target"))
        var targets: [String] = []
        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long.", valueName: "duration"), transform: Parse.duration)
        var timeout: Duration?
        var target: Int64 { get throws { try DQ.CounterCommand.numbers(targets, counts: 1...1, else: "give one whole number to wait for, as in: dq counter wait NAME 10")[0] } }
        func validate() throws { _ = try target }
        func run() throws {
            let interrupt = try StopSignal.interrupt()
            guard let value = try location.open().wait(atLeast: target, timeout: timeout, interrupt: interrupt) else {
                throw StopSignal.nothingCame
            }
            Output.standardOutput.writeLine(value)
        }
    }
}
