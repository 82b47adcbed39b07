import ArgumentParser
import DurableQueue

extension DQ.CounterCommand {
    struct Wait: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "wait",
            abstract: "Wait until the value is at least N (a barrier), then print it; exit 1 on timeout.")
        @OptionGroup var location: Location<Counter>
        @Argument(help: "Wait until the counter is at least this.") var target: Int64
        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long.", valueName: "duration"), transform: Parse.duration)
        var timeout: Duration?
        func run() throws {
            let interrupt = try WaitInterrupt()
            StopSignal.install(waking: interrupt)
            guard let value = try location.open().wait(atLeast: target, timeout: timeout, interrupt: interrupt) else {
                throw ExitCode(StopSignal.pending.map { 128 + $0 } ?? 1)
            }
            Output.standardOutput.write(Array("\(value)\n".utf8))
        }
    }
}
