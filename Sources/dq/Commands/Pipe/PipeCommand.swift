import ArgumentParser
import DurableQueue

extension DQ {
    struct PipeCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "pipe",
            abstract: "A two-way channel with two ends, first and second: send, recv, drop.",
            discussion: HelpExamples.discussion("pipe", """
                --end names the end a command holds: it sends to the other end and receives \
                what the other end sent, in order. A pipe is the library's Pipe \
                (store.pipe(NAME, end: .first / .second)): a Swift program holding the second \
                end receives what dq pipe send NAME --end first sent, and the other way round. \
                Messages wait in the store until received.
                """),
            subcommands: [Send.self, Recv.self, Drop.self])

        /// The store options, the pipe's name and the end a command holds.
        struct EndOptions: ParsableArguments {
            @OptionGroup var global: GlobalOptions

            @Argument(help: ArgumentHelp("The pipe (1-200 bytes of UTF-8, no control characters).", valueName: "pipe"))
            var name: String

            @Option(name: .long, help: ArgumentHelp("The end this command holds: send sends to the other end, recv takes what the other end sent.", valueName: "first|second"))
            var end: DuplexPipe.Side

            func validate() throws { try Parse.name(name, what: "pipe name") }

            /// Opens the store and this end of the pipe.
            func open() throws -> DuplexPipe.End { try global.openStore().pipe(name, end: end) }
        }
    }
}

extension DuplexPipe.Side: ExpressibleByArgument {}
