import ArgumentParser
import DurableQueue

extension DQ.KV {
    struct Cas: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cas",
            abstract: "Set KEY to NEW only if its value is exactly EXPECTED; exit 1 if not.",
            discussion: HelpExamples.discussion("kv cas", """
                Compare and set are one transaction: of several processes racing from the same \
                EXPECTED, exactly one succeeds. Prints nothing. When KEY holds another value or \
                is absent, exits 1 and changes nothing (read the value with kv get and try \
                again). EXPECTED or NEW may be - for standard input, not both. To set only if \
                KEY is absent: kv set --if-absent.
                """))
        @OptionGroup var location: Location<Dict>
        @OptionGroup var target: KeyArgument
        @Argument(help: ArgumentHelp("The value KEY must hold now, or - for standard input.", valueName: "expected"))
        var expected: String
        @Argument(help: ArgumentHelp("The value to set, or - for standard input.", valueName: "new"))
        var new: String

        func validate() throws {
            if expected == "-" && new == "-" { throw ValidationError("only one of EXPECTED and NEW can be - (standard input)") }
        }

        func run() throws {
            var values = RawArguments.bytes(of: [expected, new])
            if let stdin = [expected, new].firstIndex(of: "-") { values[stdin] = readStandardInput() }
            if try !location.open().compareAndSet(target.key, expected: values[0], new: values[1]) { throw ExitCode(1) }
        }
    }
}
