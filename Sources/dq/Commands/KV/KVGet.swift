import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Get: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Print KEY's value; exit 1 if it is absent.",
            discussion: HelpExamples.discussion("kv get", "The value is followed by a newline unless it ends with one; --raw prints the stored bytes exactly. To a terminal, control characters are shown escaped unless --raw."))
        @OptionGroup var location: ReadLocation<Dict>
        @OptionGroup var target: KeyArgument
        @Flag(name: .long, help: "Print the stored bytes exactly: no newline added, nothing escaped.")
        var raw = false
        var request: CallRequest { Self.request(location.target, key: target.key, raw: raw) }

        /// What one `dq kv get` asks for, however its command line was parsed.
        static func request(_ dict: Target<Dict>, key: String, raw: Bool = false) -> CallRequest {
            dict.reading.request { dict in
                guard let value = try dict.get(key) else { throw ExitCode(1) }
                Framing(nul: false, raw: raw).write(value)
            }
        }
    }
}
