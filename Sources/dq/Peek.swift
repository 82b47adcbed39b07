import ArgumentParser
import DurableQueue

extension DQ {
    struct Peek: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "peek",
            abstract: "Print the next messages of a queue without removing them.",
            discussion: "Output is as for get; exits 1 when the queue has nothing deliverable.")

        @OptionGroup var location: Location<Queue>

        @Option(name: .customShort("n"), parsing: .unconditional, help: "Show up to N messages.")
        var count: Int = 1

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print one JSON object per line.")
        var json = false

        func validate() throws {
            if count < 1 { throw ValidationError("-n must be at least 1") }
        }

        func run() throws {
            let messages = try location.open().peek(limit: count)
            if messages.isEmpty { throw ExitCode(1) }
            MessagePrinter(json: json, separated: count > 1, nulSeparated: nulSeparated).print(messages)
        }
    }

    struct Len: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "len",
            abstract: "Print how many messages are ready to be received.",
            discussion: "Delayed messages count once they are due; leased and dead ones do not.")

        @OptionGroup var location: Location<Queue>

        var request: LenRequest { LenRequest(store: location.store, queue: location.name) }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "purge",
            abstract: "Delete every message of a queue (ready, delayed and leased; dead letters stay unless --dead).",
            discussion: "Prints nothing unless --json, which prints {\"purged\":N}. With --dead, deletes only the dead letters.")

        @OptionGroup var location: Location<Queue>

        @Flag(name: .long, help: "Print {\"purged\":N}.")
        var json = false

        @Flag(name: .long, help: "Delete the dead letters instead.")
        var dead = false

        func run() throws {
            let queue = try location.open()
            let purged = dead ? try queue.purgeDead() : try queue.purge()
            if json { Output.standardOutput.write(Array("{\"purged\":\(purged)}\n".utf8)) }
        }
    }
}

/// What one `dq len` asks for (see `CommandRequest`).
struct LenRequest: CommandRequest {
    var store: StoreChoice
    var queue: String

    func run() throws {
        let count = try store.open().queue(queue).count()
        Output.standardOutput.write(Array("\(count)\n".utf8))
    }
}
