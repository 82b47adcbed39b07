import ArgumentParser
import DurableQueue

extension DQ {
    struct Trim: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trim",
            abstract: "Drop old entries from a stream's log.",
            discussion: HelpExamples.discussion("trim", """
                Drops the entries beyond the newest --max-len, those older than --max-age, \
                and with --retain acked those every group has acked (or buried); several \
                drop what any of them drops. Groups keep the entries they have not acked: \
                trimming bounds what dq read replays and where a new group can start. \
                Prints nothing unless --json, which prints {"trimmed":N}.
                """))

        @OptionGroup var location: Location<DurableQueue.Stream>

        @OptionGroup var trim: TrimOptions

        @Flag(name: .long, help: "Print {\"trimmed\":N}.")
        var json = false

        func validate() throws {
            if trim.isEmpty { throw ValidationError("say what to drop: --max-len N, --max-age D or --retain acked") }
        }

        func run() throws {
            let trimmed = try location.open().trim(trim.value)
            if json { try Output.standardOutput.writeJSONLine(["trimmed": trimmed]) }
        }
    }
}
