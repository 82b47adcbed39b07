import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Get: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Print KEY's value raw; exit 1 if it is absent.")
        @OptionGroup var location: Location<Dict>
        @OptionGroup var target: KeyArgument
        var request: CallRequest<Dict> { Self.request(location.target, key: target.key) }

        /// What one `dq kv get` asks for, however its command line was parsed.
        static func request(_ dict: Target<Dict>, key: String) -> CallRequest<Dict> {
            dict.reading.request { dict in
                guard let value = try dict.get(key) else { throw ExitCode(1) }
                Output.standardOutput.write(value)
            }
        }
    }
}
