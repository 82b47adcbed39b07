import ArgumentParser
import DurableQueue

extension DQ.PipeCommand {
    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop",
            abstract: "Delete every message still in the pipe, both ways; exit 1 if it held none.",
            discussion: HelpExamples.discussion("pipe drop", """
                Messages sent and not yet received, toward either end, are deleted; the pipe \
                is then gone from dq stats. Prints nothing.
                """))
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The pipe (1-200 bytes of UTF-8, no control characters).", valueName: "pipe"))
        var name: String

        func validate() throws { try Parse.name(name, what: "pipe name") }

        func run() throws {
            // Either end reaches both directions.
            if try global.openStore().pipe(name, end: .first).drop() == 0 { throw ExitCode(1) }
        }
    }
}
