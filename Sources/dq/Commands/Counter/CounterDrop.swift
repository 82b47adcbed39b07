import ArgumentParser
import DurableQueue

extension DQ.CounterCommand {
    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop",
            abstract: "Delete the counter (it reads 0 again); exit 1 if it did not exist.",
            discussion: HelpExamples.discussion("counter drop", """
                The counter is then gone from dq stats. Its waiters are woken and look again, \
                as after counter set 0: counter wait N ends for N ≤ 0, keeps waiting otherwise.
                """))
        @OptionGroup var location: Location<Counter>
        func run() throws {
            if try !location.open().drop() { throw ExitCode(1) }
        }
    }
}
