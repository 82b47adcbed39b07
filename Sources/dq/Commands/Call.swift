import ArgumentParser
import DQSystem
import DurableQueue
import FoundationEssentials

extension DQ {
    struct Call: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "call",
            abstract: "Send a request to a queue and print its reply.",
            discussion: HelpExamples.discussion("call", """
                Puts BODY (none: all of standard input) on QUEUE as a request that carries \
                a reply address, waits until a responder (dq worker, or a program's \
                queue.respond) replies, prints the reply's body exactly as sent, and exits \
                with the reply's status: for dq worker, its command's output and exit status. \
                Waits as long as it takes unless --timeout is given; exits 1 with nothing \
                printed when no reply came. A reply that comes after dq call has ended is \
                deleted, never delivered to anyone.
                """))

        @OptionGroup var location: Location<Queue>

        @Argument(help: "The request's body; none means read standard input.")
        var body: String?

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long for the reply (250ms, 5s, 2m, 1h30m, 1d).", valueName: "duration"),
                transform: Parse.duration)
        var timeout: Duration?

        var request: CallQueueRequest {
            CallQueueRequest(store: location.store, queue: location.name, body: body, timeout: timeout)
        }
    }
}

/// What one `dq call` asks for.
struct CallQueueRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var body: String?
    var timeout: Duration?

    func run() throws {
        let interrupt = try StopSignal.interrupt()
        if body == nil { noteReadingTerminal("call", "the request") }
        let request = body.map { RawArguments.bytes(of: [$0])[0] } ?? readStandardInput()
        let queue = try store.open().queue(self.queue)
        guard let reply = try queue.call(request, timeout: timeout, interrupt: interrupt) else {
            throw StopSignal.nothingCame
        }
        Output.standardOutput.write(reply.body)
        if reply.status != 0 { throw ExitCode(Int32(reply.status)) }
    }
}
