import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ {
    struct KV: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "kv",
            abstract: "A shared dictionary: key → bytes, atomic across processes.",
            subcommands: [Set.self, Get.self, Del.self, Keys.self, Items.self, Wait.self])


        /// The KEY argument, refused if it was not valid UTF-8 (two such keys would read
        /// as one).
        struct KeyArgument: ParsableArguments {
            @Argument(help: "The key.") var key: String
            func validate() throws {
                if RawArguments.wasRepaired(key) { throw ValidationError("key is not valid UTF-8") }
            }
        }

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

        struct Get: RequestCommand {
            static let configuration = CommandConfiguration(
                commandName: "get",
                abstract: "Print KEY's value raw; exit 1 if it is absent.")
            @OptionGroup var location: Location<Dict>
            @OptionGroup var target: KeyArgument
            var request: KVGetRequest { KVGetRequest(store: location.store, dict: location.name, key: target.key) }
        }

        struct Del: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "del",
                abstract: "Remove KEY; exit 1 if it was absent.")
            @OptionGroup var location: Location<Dict>
            @OptionGroup var target: KeyArgument
            func run() throws {
                if try !location.open().delete(target.key) { throw ExitCode(1) }
            }
        }

        struct Keys: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "keys",
                abstract: "Print every key, one per line, sorted.")
            @OptionGroup var location: Location<Dict>
            func run() throws {
                let keys = try location.open().keys()
                Output.standardOutput.write(Array(keys.map { $0 + "\n" }.joined().utf8))
            }
        }

        struct Items: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "items",
                abstract: "Print every key and value: KEY<TAB>VALUE per line, or --json.",
                discussion: "--json prints {\"key\":…,\"value\":…} per line (value_base64 if not UTF-8); use it when keys or values may hold tabs or newlines.")
            @OptionGroup var location: Location<Dict>
            @Flag(name: .long, help: "One JSON object per line.") var json = false
            func run() throws {
                var out = ""
                for (key, value) in try location.open().items() {
                    if json {
                        let field = String(data: value, encoding: .utf8).map { "\"value\":\(JSONText.string($0))" }
                            ?? "\"value_base64\":\(JSONText.string(value.base64EncodedString()))"
                        out += "{\"key\":\(JSONText.string(key)),\(field)}\n"
                    } else {
                        out += key + "\t" + String(decoding: value, as: UTF8.self) + "\n"
                    }
                }
                Output.standardOutput.write(Array(out.utf8))
            }
        }

        struct Wait: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "wait",
                abstract: "Wait until KEY exists (or, with --changed, until it changes), then print its value.",
                discussion: "Exits 1 on timeout, and with --changed when the key was removed.")
            @OptionGroup var location: Location<Dict>
            @OptionGroup var target: KeyArgument
            @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long.", valueName: "duration"), transform: Parse.duration)
            var timeout: Duration?
            @Flag(name: .long, help: "Wait for the next change instead of for the key to exist.") var changed = false
            func run() throws {
                let interrupt = try WaitInterrupt()
                StopSignal.install(waking: interrupt)
                let dict = try location.open()
                let value: Data?
                if changed {
                    guard let change = try dict.waitForChange(of: target.key, timeout: timeout, interrupt: interrupt) else {
                        throw ExitCode(StopSignal.pending.map { 128 + $0 } ?? 1)
                    }
                    value = change
                } else {
                    value = try dict.wait(for: target.key, timeout: timeout, interrupt: interrupt)
                }
                guard let value else { throw ExitCode(StopSignal.pending.map { 128 + $0 } ?? 1) }
                Output.standardOutput.write(value)
            }
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
