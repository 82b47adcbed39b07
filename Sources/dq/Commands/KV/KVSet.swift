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
        var request: CallRequest<Dict> { Self.request(location.target, key: target.key, value: value) }

        /// What one `dq kv set` asks for, however its command line was parsed: `value` as
        /// given, or `-` for standard input.
        static func request(_ dict: Target<Dict>, key: String, value: String) -> CallRequest<Dict> {
            dict.request { dict in
                try dict.set(key, value == "-" ? readStandardInput() : RawArguments.bytes(of: [value])[0])
            }
        }
    }
}
