import ArgumentParser
import DurableQueue

extension DQ.PipeCommand {
    struct Send: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send",
            abstract: "Send messages to the other end of the pipe.",
            discussion: HelpExamples.discussion("pipe send", """
                Each BODY argument is one message, all sent in one transaction; with no BODY, all \
                of standard input is one message (binary-safe, may be empty), as for put. Prints \
                nothing.
                """))
        @OptionGroup var pipe: EndOptions
        @Argument(help: "Message bodies; none means read standard input.") var bodies: [String] = []
        func run() throws {
            try pipe.open().send(contentsOf: bodies.isEmpty ? [readStandardInput()] : RawArguments.bytes(of: bodies))
        }
    }
}
