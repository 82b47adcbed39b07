import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ {
    struct ListCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "A shared list of values: append, read, pop.",
            subcommands: [Append.self, Items.self, Len.self, Pop.self])


        struct Append: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "append",
                abstract: "Append each VALUE, in order, in one transaction (- reads standard input).")
            @OptionGroup var location: Location<SharedList>
            @Argument(help: "Values; - is standard input.") var values: [String]
            func validate() throws { if values.isEmpty { throw ValidationError("give at least one value") } }
            func run() throws {
                try location.open().append(contentsOf: zip(values, RawArguments.bytes(of: values)).map { $0 == "-" ? readStandardInput() : $1 })
            }
        }

        struct Items: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "items",
                abstract: "Print every value, one per line (or --json).")
            @OptionGroup var location: Location<SharedList>
            @Flag(name: .long, help: "Print a JSON array of strings (values not UTF-8 as {\"base64\":…}).") var json = false
            func run() throws {
                let items = try location.open().items()
                if json {
                    let parts = items.map { value in
                        String(data: value, encoding: .utf8).map(JSONText.string)
                            ?? "{\"base64\":\(JSONText.string(value.base64EncodedString()))}"
                    }
                    Output.standardOutput.write(Array(("[" + parts.joined(separator: ",") + "]\n").utf8))
                } else {
                    MessagePrinter.printLines(items)
                }
            }
        }

        struct Len: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "len",
                abstract: "Print the number of values.")
            @OptionGroup var location: Location<SharedList>
            func run() throws {
                Output.standardOutput.write(Array("\(try location.open().count())\n".utf8))
            }
        }

        struct Pop: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "pop",
                abstract: "Remove the last value and print it raw; exit 1 if the list is empty.")
            @OptionGroup var location: Location<SharedList>
            func run() throws {
                guard let value = try location.open().pop() else { throw ExitCode(1) }
                Output.standardOutput.write(value)
            }
        }
    }

    struct CounterCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "counter",
            abstract: "A shared integer: atomic add, get, set, wait.",
            subcommands: [Add.self, Get.self, Set.self, Wait.self])


        struct Add: RequestCommand {
            static let configuration = CommandConfiguration(
                commandName: "add",
                abstract: "Add N (default 1, may be negative) and print the new value.",
                usage: "dq counter add <counter> [<n>] [--db <path>] [--sync <normal|full>]")
            @OptionGroup var location: Location<Counter>
            @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The amount (may be negative; default 1).", valueName: "n")) var amounts: [String] = []
            var amount: Int64 { Int64(amounts.first ?? "1") ?? 1 }
            func validate() throws {
                if amounts.count > 1 || (amounts.first.map { Int64($0) == nil } ?? false) {
                    throw ValidationError("give one whole number to add, as in: dq counter add NAME -1")
                }
            }
            var request: CounterAddRequest {
                CounterAddRequest(store: location.store, counter: location.name, amount: amount)
            }
        }

        struct Get: RequestCommand {
            static let configuration = CommandConfiguration(
                commandName: "get",
                abstract: "Print the value (0 if never set).")
            @OptionGroup var location: Location<Counter>
            var request: CounterGetRequest { CounterGetRequest(store: location.store, counter: location.name) }
        }

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set",
                abstract: "Set the value to N.",
                usage: "dq counter set <counter> <n> [--db <path>] [--sync <normal|full>]")
            @OptionGroup var location: Location<Counter>
            @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The value (may be negative).", valueName: "n")) var values: [String] = []
            func validate() throws {
                if values.count != 1 || Int64(values[0]) == nil {
                    throw ValidationError("give one whole number, as in: dq counter set NAME -1")
                }
            }
            func run() throws { try location.open().set(Int64(values[0])!) }
        }

        struct Wait: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "wait",
                abstract: "Wait until the value is at least N (a barrier), then print it; exit 1 on timeout.")
            @OptionGroup var location: Location<Counter>
            @Argument(help: "The target.") var target: Int64
            @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long.", valueName: "duration"), transform: Parse.duration)
            var timeout: Duration?
            func run() throws {
                let interrupt = try WaitInterrupt()
                StopSignal.install(waking: interrupt)
                guard let value = try location.open().wait(atLeast: target, timeout: timeout, interrupt: interrupt) else {
                    throw ExitCode(StopSignal.pending.map { 128 + $0 } ?? 1)
                }
                Output.standardOutput.write(Array("\(value)\n".utf8))
            }
        }
    }
}

/// What one `dq counter add` asks for (see `CommandRequest`).
struct CounterAddRequest: CommandRequest {
    var store: StoreChoice
    var counter: String
    var amount: Int64 = 1

    func run() throws {
        Output.standardOutput.write(Array("\(try store.open().counter(counter).add(amount))\n".utf8))
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
