import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop",
            abstract: "Remove every key of DICT; exit 1 if it had none.",
            discussion: HelpExamples.discussion("kv drop", """
                One transaction; the dict is then gone from dq stats. Waiters on its keys are \
                woken: kv wait --changed exits 1 (removed), kv wait keeps waiting for the key.
                """))
        @OptionGroup var location: Location<Dict>
        func run() throws {
            if try location.open().drop() == 0 { throw ExitCode(1) }
        }
    }
}
