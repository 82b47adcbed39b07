import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Set: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set KEY to VALUE (- reads standard input, binary-safe).",
            discussion: HelpExamples.discussion("kv set", """
                With --if-absent, sets only if KEY is absent, checked and set in one \
                transaction: of several processes racing, exactly one succeeds; the others exit \
                1, print nothing and change nothing.
                """))
        @OptionGroup var location: Location<Dict>
        @OptionGroup var target: KeyArgument
        @Argument(help: "The value, or - for standard input.") var value: String
        @Flag(name: .long, help: "Set only if KEY is absent; exit 1 if it exists.") var ifAbsent = false
        var request: CallRequest { Self.request(location.target, key: target.key, value: value, ifAbsent: ifAbsent) }

        /// What one `dq kv set` asks for, however its command line was parsed: `value` as
        /// given, or `-` for standard input.
        static func request(_ dict: Target<Dict>, key: String, value: String, ifAbsent: Bool = false) -> CallRequest {
            dict.request { dict in
                let value = value == "-" ? readStandardInput() : RawArguments.bytes(of: [value])[0]
                guard ifAbsent else { return try dict.set(key, value) }
                if try !dict.compareAndSet(key, expected: nil, new: value) { throw ExitCode(1) }
            }
        }
    }
}
