import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Set: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set KEY to VALUE (- reads standard input, binary-safe).")
        @OptionGroup var location: Location<Dict>
        @OptionGroup var target: KeyArgument
        @Argument(help: "The value, or - for standard input.") var value: String
        var request: KVSetRequest {
            KVSetRequest(store: location.store, dict: location.name, key: target.key, value: value)
        }
    }
}

/// What one `dq kv set` asks for (see `CommandRequest`).
struct KVSetRequest: CommandRequest {
    var store: StoreChoice
    var dict: String
    var key: String
    /// The value as given, or `-` for standard input.
    var value: String

    func run() throws {
        let data = value == "-" ? readStandardInput() : RawArguments.bytes(of: [value])[0]
        try store.open().dict(dict).set(key, data)
    }
}
