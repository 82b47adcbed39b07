import DQSystem
import DurableQueue

/// The commands shell scripts run in loops (`put`, `get`, `ack`, `nack`, `extend`,
/// `len`, `kv set`/`get`, `counter add`/`get`, `event set`/`is-set`) and
/// `dq --version`, in their everyday forms, parsed without ArgumentParser.
///
/// ArgumentParser learns a command's options by reflection, which costs a fresh
/// process 1.5–2 ms of type-metadata and protocol-conformance look-ups: more than the
/// whole SQLite insert a `dq put` exists to do. So these command lines are read here
/// and run through the very `CommandRequest` that the ArgumentParser command builds.
/// This path only ever takes command lines it fully understands and that pass the
/// commands' own validation: anything else (help, an unknown or repeated option, a
/// bad value, a usage error) returns `false` before any side effect, and ArgumentParser
/// parses the same arguments and reports exactly what it always has.
///
/// `DQ_QUICK_PATH=off` in the environment sends everything to ArgumentParser, and
/// `DQ_QUICK_PATH=require` makes a command line this path does not take fail with
/// status 70 instead (the tests use both).
enum QuickPath {
    /// Runs `arguments` (without the program name) if this path takes them; returns
    /// `false`, having done nothing, otherwise.
    static func run(_ arguments: [String]) -> Bool {
        let setting = Environment.value("DQ_QUICK_PATH")
        if setting == "off" { return false }
        if take(arguments) { return true }
        if setting == "require" { ErrorReport.fail("not a quick-path command line (DQ_QUICK_PATH=require)", status: 70) }
        return false
    }

    private static func take(_ arguments: [String]) -> Bool {
        if arguments == ["--version"] {
            Output.standardOutput.write(Array((DQ.version + "\n").utf8))
            return true
        }
        // `dq --db X put q` means `dq put q --db X` (and `dq --db X kv get d k`, `dq kv get
        // d k --db X`: moved to the end either way).
        let arguments = GlobalOptions.movedAfterSubcommand(arguments, groups: [])
        guard var name = arguments.first else { return false }
        var rest = arguments.dropFirst()
        if ["kv", "counter", "event"].contains(name), let subcommand = rest.popFirst() { name += " " + subcommand }
        guard let parse = parsers[name], let request = parse(Options(rest)), (try? request.validate()) != nil
        else { return false }
        do { try request.run() } catch { ErrorReport.exit(for: error) }
        return true
    }

    /// Each command's parser: its request, or nil to leave the command line to
    /// ArgumentParser.
    private static let parsers: [String: @Sendable (Options) -> (any CommandRequest)?] = [
        "put": put, "get": get, "ack": ack, "nack": nack, "extend": extend, "len": len,
        "kv set": kvSet, "kv get": kvGet, "counter add": counterAdd, "counter get": counterGet,
        "event set": eventSet, "event is-set": eventIsSet,
    ]

    static func put(_ options: Options) -> PutRequest? {
        var options = options
        guard let positionals = options.scan(flags: ["--lines", "-0", "--json"], values: ["--db", "--sync", "--key"],
                                             unconditional: ["--priority", "--delay"]),
              let queue = Options.queue(positionals), let store = options.storeChoice()
        else { return nil }
        var request = PutRequest(store: store, queue: queue, bodies: Array(positionals.dropFirst()),
                                 lines: options.flag("--lines"), nulSeparated: options.flag("-0"),
                                 key: options.values["--key"], json: options.flag("--json"))
        guard options.convert("--priority", Int.init, into: &request.priority),
              options.convert("--delay", Options.duration, into: &request.delay) else { return nil }
        return request
    }

    static func get(_ options: Options) -> GetRequest? {
        var options = options
        guard let positionals = options.scan(flags: ["--no-wait", "--follow", "-0", "--raw", "--json"],
                                             values: ["--db", "--sync", "--max-attempts"],
                                             unconditional: ["--timeout", "-n", "--lease"]),
              positionals.count == 1, let queue = Options.queue(positionals), let store = options.storeChoice()
        else { return nil }
        var request = GetRequest(store: store, queue: queue, noWait: options.flag("--no-wait"),
                                 follow: options.flag("--follow"), nulSeparated: options.flag("-0"),
                                 raw: options.flag("--raw"), json: options.flag("--json"))
        guard options.convert("--timeout", Options.duration, into: &request.timeout),
              options.convert("--lease", Options.duration, into: &request.lease),
              options.convert("-n", Int.init, into: &request.count),
              options.convert("--max-attempts", Int.init, into: &request.maxAttempts) else { return nil }
        return request
    }

    static func ack(_ options: Options) -> AckRequest? {
        var options = options
        guard let positionals = options.scan(flags: [], values: ["--db", "--sync"], unconditional: []),
              let queue = Options.queue(positionals), let store = options.storeChoice()
        else { return nil }
        let receipts = positionals.dropFirst().compactMap(Options.receipt)
        guard receipts.count == positionals.count - 1 else { return nil }
        return AckRequest(store: store, queue: queue, receipts: receipts)
    }

    static func nack(_ options: Options) -> NackRequest? {
        var options = options
        guard let positionals = options.scan(flags: [], values: ["--db", "--sync", "--max-attempts"],
                                             unconditional: ["--delay"]),
              positionals.count == 2, let queue = Options.queue(positionals), let store = options.storeChoice(),
              let receipt = Options.receipt(positionals[1])
        else { return nil }
        var request = NackRequest(store: store, queue: queue, receipt: receipt)
        guard options.convert("--delay", Options.duration, into: &request.delay),
              options.convert("--max-attempts", Int.init, into: &request.maxAttempts) else { return nil }
        return request
    }

    static func extend(_ options: Options) -> ExtendRequest? {
        var options = options
        guard let positionals = options.scan(flags: [], values: ["--db", "--sync"], unconditional: []),
              positionals.count == 3, let queue = Options.queue(positionals), let store = options.storeChoice(),
              let receipt = Options.receipt(positionals[1]), let duration = Options.duration(positionals[2])
        else { return nil }
        return ExtendRequest(store: store, queue: queue, receipt: receipt, duration: duration)
    }

    static func len(_ options: Options) -> CallRequest? {
        options.target(Queue.self, count: 1).map { queue, _ in DQ.Len.request(queue) }
    }

    static func kvSet(_ options: Options) -> CallRequest? {
        guard let (dict, rest) = options.target(Dict.self, count: 3), Options.isUTF8(rest[0]) else { return nil }
        return DQ.KV.Set.request(dict, key: rest[0], value: rest[1])
    }

    static func kvGet(_ options: Options) -> CallRequest? {
        guard let (dict, rest) = options.target(Dict.self, count: 2), Options.isUTF8(rest[0]) else { return nil }
        return DQ.KV.Get.request(dict, key: rest[0])
    }

    static func counterAdd(_ options: Options) -> CallRequest? {
        // Its amount is parsed as "all unrecognized" arguments, where ArgumentParser keeps
        // a `--` as one of them.
        guard !options.arguments.contains("--") else { return nil }
        if let (counter, _) = options.target(Counter.self, count: 1) {
            return DQ.CounterCommand.Add.request(counter)
        }
        guard let (counter, rest) = options.target(Counter.self, count: 2), let amount = Int64(rest[0]) else {
            return nil
        }
        return DQ.CounterCommand.Add.request(counter, amount: amount)
    }

    static func counterGet(_ options: Options) -> CallRequest? {
        options.target(Counter.self, count: 1).map { counter, _ in DQ.CounterCommand.Get.request(counter) }
    }

    static func eventSet(_ options: Options) -> CallRequest? {
        options.target(Event.self, count: 1).map { event, _ in DQ.EventCommand.Set.request(event) }
    }

    static func eventIsSet(_ options: Options) -> CallRequest? {
        options.target(Event.self, count: 1).map { event, _ in DQ.EventCommand.IsSet.request(event) }
    }

    /// A command's arguments split into options and positionals, the way ArgumentParser
    /// splits the forms this path accepts: `--name value`, `--name=value`, flags, and
    /// everything after `--` positional.
    struct Options {
        private(set) var arguments: ArraySlice<String>
        private(set) var flags: Set<String> = []
        private(set) var values: [String: String] = [:]


        init(_ arguments: ArraySlice<String>) { self.arguments = arguments }

        /// The positionals, or nil for anything this path leaves to ArgumentParser: an
        /// option not named here, one given twice, a missing value, or a value that
        /// looks like an option where ArgumentParser would not take it as one (those
        /// in `unconditional` take the next argument whatever it is, as
        /// `parsing: .unconditional` does).
        mutating func scan(flags known: Set<String>, values valued: Set<String>,
                           unconditional: Set<String>) -> [String]? {
            var positionals: [String] = []
            while let argument = arguments.popFirst() {
                if argument == "--" {
                    positionals += arguments
                    break
                }
                guard argument.hasPrefix("-") else {
                    positionals.append(argument)
                    continue
                }
                if known.contains(argument) {
                    guard flags.insert(argument).inserted else { return nil }
                    continue
                }
                var name = argument, value: String?
                if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                    name = String(argument[..<equals])
                    value = String(argument[argument.index(after: equals)...])
                    // ArgumentParser reads `--name=` as `--name` and takes the next argument.
                    if value == "" { return nil }
                }
                guard valued.contains(name) || unconditional.contains(name), values[name] == nil else { return nil }
                if value == nil {
                    guard let next = arguments.popFirst(), unconditional.contains(name) || !next.hasPrefix("-") else {
                        return nil
                    }
                    value = next
                }
                values[name] = value
            }
            return positionals
        }

        func flag(_ name: String) -> Bool { flags.contains(name) }

        /// Sets `target` from option `name` when given; false if its value does not convert.
        func convert<T>(_ name: String, _ conversion: (String) -> T?, into target: inout T) -> Bool {
            guard let text = values[name] else { return true }
            guard let value = conversion(text) else { return false }
            target = value
            return true
        }

        /// `--db` and `--sync`, or nil when `--sync` names no durability.
        func storeChoice() -> StoreChoice? {
            var choice = StoreChoice(db: values["--db"])
            guard convert("--sync", Durability.init(rawValue:), into: &choice.sync) else { return nil }
            return choice
        }

        /// For commands that take only `--db` and `--sync` and exactly `count` positionals:
        /// the object the first names (a valid name, as `Location` checks it), and the
        /// positionals after it.
        func target<Object: StoreObject>(_ kind: Object.Type, count: Int) -> (Target<Object>, [String])? {
            var options = self
            guard let positionals = options.scan(flags: [], values: ["--db", "--sync"], unconditional: []),
                  positionals.count == count, (try? Parse.name(positionals[0], what: Object.argumentName + " name")) != nil,
                  let store = options.storeChoice() else { return nil }
            return (Target(store: store, name: positionals[0]), Array(positionals.dropFirst()))
        }

        /// Whether `text` came from an argument that was valid UTF-8 (see `RawArguments`).
        static func isUTF8(_ text: String) -> Bool { !RawArguments.wasRepaired(text) }

        /// The first positional, if it is a valid queue name.
        static func queue(_ positionals: [String]) -> String? {
            guard let queue = positionals.first, (try? Parse.queueName(queue)) != nil else { return nil }
            return queue
        }

        static func duration(_ text: String) -> Duration? { try? Parse.duration(text) }

        static func receipt(_ text: String) -> SettleReceipt? { try? Parse.receipt(text) }
    }
}
