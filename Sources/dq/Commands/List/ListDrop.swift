import ArgumentParser
import DurableQueue

extension DQ.ListCommand {
    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop",
            abstract: "Remove every value of the list; exit 1 if it was empty.",
            discussion: HelpExamples.discussion("list drop", """
                One transaction; the list is then gone from dq stats.
                """))
        @OptionGroup var location: Location<SharedList>
        func run() throws {
            if try location.open().drop() == 0 { throw ExitCode(1) }
        }
    }
}
