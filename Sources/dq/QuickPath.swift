import DurableQueue
@preconcurrency import Glibc

/// `dq put`, `dq get` and `dq --version` as shell scripts write them, parsed without
/// ArgumentParser.
///
/// ArgumentParser learns a command's options by reflection, which costs a fresh
/// process 1.5–2 ms of type-metadata and protocol-conformance look-ups: more than the
/// whole SQLite insert a `dq put` exists to do. So the everyday forms are read here
/// and run through the very `PutRequest` / `GetRequest` that `DQ.Put` / `DQ.Get` build.
/// This path only ever takes command lines it fully understands and that pass the
/// commands' own validation: anything else (help, an unknown or repeated option, a
/// bad value, a usage error) returns `false` before any side effect, and ArgumentParser
/// parses the same arguments and reports exactly what it always has.
///
/// `DQ_QUICK_PATH=off` in the environment sends everything to ArgumentParser, and
/// `DQ_QUICK_PATH=require` makes a command line this path does not take fail with
/// status 70 instead (the tests use both).
enum QuickPath {
    /// Runs `arguments` (without the program name) if they are a plain put, get or
    /// `--version`; returns `false`, having done nothing, otherwise.
    static func run(_ arguments: [String]) -> Bool {
        let setting = getenv("DQ_QUICK_PATH").map { String(cString: $0) }
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
        // `dq --db X put q` means `dq put q --db X`; put and get are no command groups.
        let arguments = GlobalOptions.movedAfterSubcommand(arguments, groups: [])
        switch arguments.first {
        case "put":
            guard let request = put(arguments.dropFirst()) else { return false }
            perform(request.run)
        case "get":
            guard let request = get(arguments.dropFirst()) else { return false }
            perform(request.run)
        default:
            return false
        }
        return true
    }

    /// Runs a request, reporting a failure as any command does.
    private static func perform(_ body: () throws -> Void) {
        do { try body() } catch { ErrorReport.exit(for: error) }
    }

    static func put(_ arguments: ArraySlice<String>) -> PutRequest? {
        var options = Options(arguments)
        guard let positionals = options.scan(flags: ["--lines", "-0", "--json"],
                                             values: ["--db", "--sync", "--key"],
                                             unconditional: ["--priority", "--delay"]),
              let queue = positionals.first,
              var request = options.storeChoice().map({ PutRequest(store: $0, queue: queue) })
        else { return nil }
        request.bodies = Array(positionals.dropFirst())
        request.lines = options.flag("--lines")
        request.nulSeparated = options.flag("-0")
        request.json = options.flag("--json")
        request.key = options.values["--key"]
        if let text = options.values["--priority"] {
            guard let priority = Int(text) else { return nil }
            request.priority = priority
        }
        if let text = options.values["--delay"] {
            guard let delay = try? Parse.duration(text) else { return nil }
            request.delay = delay
        }
        guard (try? Parse.queueName(queue)) != nil, (try? request.validate()) != nil else { return nil }
        return request
    }

    static func get(_ arguments: ArraySlice<String>) -> GetRequest? {
        var options = Options(arguments)
        guard let positionals = options.scan(flags: ["--no-wait", "--follow", "-0", "--json"],
                                             values: ["--db", "--sync", "--max-attempts"],
                                             unconditional: ["--timeout", "-n", "--lease"]),
              positionals.count == 1, let queue = positionals.first,
              var request = options.storeChoice().map({ GetRequest(store: $0, queue: queue) })
        else { return nil }
        request.noWait = options.flag("--no-wait")
        request.follow = options.flag("--follow")
        request.nulSeparated = options.flag("-0")
        request.json = options.flag("--json")
        if let text = options.values["--timeout"] {
            guard let timeout = try? Parse.duration(text) else { return nil }
            request.timeout = timeout
        }
        if let text = options.values["--lease"] {
            guard let lease = try? Parse.duration(text) else { return nil }
            request.lease = lease
        }
        if let text = options.values["-n"] {
            guard let count = Int(text) else { return nil }
            request.count = count
        }
        if let text = options.values["--max-attempts"] {
            guard let maxAttempts = Int(text) else { return nil }
            request.maxAttempts = maxAttempts
        }
        guard (try? Parse.queueName(queue)) != nil, (try? request.validate()) != nil else { return nil }
        return request
    }

    /// A command's arguments split into options and positionals, the way ArgumentParser
    /// splits the forms this path accepts: `--name value`, `--name=value`, flags, and
    /// everything after `--` positional.
    struct Options {
        private var arguments: ArraySlice<String>
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

        /// `--db` and `--sync`, or nil when `--sync` names no durability.
        func storeChoice() -> StoreChoice? {
            var choice = StoreChoice(db: values["--db"])
            if let text = values["--sync"] {
                guard let sync = Durability(rawValue: text) else { return nil }
                choice.sync = sync
            }
            return choice
        }
    }
}
