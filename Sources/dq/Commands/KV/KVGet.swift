import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Get: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Print KEY's value raw; exit 1 if it is absent.")
        @OptionGroup var location: Location<Dict>
        @OptionGroup var target: KeyArgument
        var request: KVGetRequest { KVGetRequest(store: location.store, dict: location.name, key: target.key) }
    }
}

/// What one `dq kv get` asks for (see `CommandRequest`).
struct KVGetRequest: CommandRequest {
    var store: StoreChoice
    var dict: String
    var key: String

    func run() throws {
        guard let value = try store.open().dict(dict).get(key) else { throw ExitCode(1) }
        Output.standardOutput.write(value)
    }
}
