import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ.KV {
    struct Wait: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "wait",
            abstract: "Wait until KEY exists (or, with --changed, until it changes), then print its value.",
            discussion: HelpExamples.discussion("kv wait", "Exits 1 on timeout, and with --changed when the key was removed."))
        @OptionGroup var location: Location<Dict>
        @OptionGroup var target: KeyArgument
        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long.", valueName: "duration"), transform: Parse.duration)
        var timeout: Duration?
        @Flag(name: .long, help: "Wait for the next change instead of for the key to exist.") var changed = false
        func run() throws {
            let interrupt = try StopSignal.interrupt()
            let dict = try location.open()
            let value: Data?
            if changed {
                guard let change = try dict.waitForChange(of: target.key, timeout: timeout, interrupt: interrupt) else {
                    throw StopSignal.nothingCame
                }
                value = change.value
            } else {
                value = try dict.wait(for: target.key, timeout: timeout, interrupt: interrupt)
            }
            guard let value else { throw StopSignal.nothingCame }
            Output.standardOutput.write(value)
        }
    }
}
