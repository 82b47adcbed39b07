import ArgumentParser
import DurableQueue

extension DQ.EventCommand {
    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop",
            abstract: "Delete the event (it is clear again); exit 1 if it did not exist.",
            discussion: HelpExamples.discussion("event drop", """
                Like clear, it does not end an event wait, which waits for a set; unlike clear, \
                it leaves nothing in the store.
                """))
        @OptionGroup var location: Location<Event>
        func run() throws {
            if try !location.open().drop() { throw ExitCode(1) }
        }
    }
}
