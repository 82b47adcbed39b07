import ArgumentParser
import DurableQueue

extension DQ {
    struct Len: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "len",
            abstract: "Print how many messages are ready to be received.",
            discussion: "Delayed messages count once they are due; leased and dead ones do not.")

        @OptionGroup var location: Location<Queue>

        var request: LenRequest { LenRequest(store: location.store, queue: location.name) }
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
