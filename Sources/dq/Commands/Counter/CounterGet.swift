import ArgumentParser
import DurableQueue

extension DQ.CounterCommand {
    struct Get: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Print the value (0 if never set).")
        @OptionGroup var location: Location<Counter>
        var request: CounterGetRequest { CounterGetRequest(store: location.store, counter: location.name) }
    }
}

/// What one `dq counter get` asks for (see `CommandRequest`).
struct CounterGetRequest: CommandRequest {
    var store: StoreChoice
    var counter: String

    func run() throws {
        Output.standardOutput.write(Array("\(try store.open().counter(counter).get())\n".utf8))
    }
}
