import ArgumentParser
import DurableQueue
import DurableQueuePostgres
import FoundationEssentials

/// The store options of a command, as `ObjectLocation` takes them: `GlobalOptions`, or
/// `ReadOptions` for a command that only reads.
protocol StoreOptionGroup: ParsableArguments {
    /// Which store, and how durable, as a plain value.
    var choice: StoreChoice { get }
}

/// Options every subcommand takes: which store, and how durable its commits are.
struct GlobalOptions: StoreOptionGroup {
    static let dbHelp = ArgumentHelp(
        "The store file, or a postgres:// address (default: $DQ_DB, else $XDG_DATA_HOME/dq/default.db or ~/.local/share/dq/default.db). Commands that write or wait create it; those that only read need it there.",
        valueName: "path")

    @Option(name: .long, help: dbHelp, completion: .file())
    var db: String?

    @Option(name: .long, help: ArgumentHelp(
        "normal survives a process crash; full also survives power loss: every commit is fsynced, except leases, acks and extends (a power loss may deliver a leased message again, never lose one).",
        valueName: "normal|full"))
    var sync: Durability = .normal

    /// The options' names, as they may also be written before the subcommand.
    // An array, not a Set: a Set of String costs a protocol-conformance search at start.
    private static let valued = ["--db", "--sync"]

    /// Lets `dq --db PATH put q` mean `dq put q --db PATH`, and `dq kv --db PATH get d k`
    /// mean `dq kv get d k --db PATH`: ArgumentParser only accepts a subcommand's options
    /// after its name, so global options written before the subcommand (or between a
    /// command `group` such as `kv` and its subcommand) are moved to just before `--`
    /// (or the end).
    static func movedAfterSubcommand(_ arguments: [String], groups: Set<String>) -> [String] {
        var moved: [String] = []
        var group: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if valued.contains(first), rest.count >= 2 {
                moved += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if let name = first.split(separator: "=", maxSplits: 1).first, first.contains("="),
                      valued.contains(String(name)) {
                moved.append(first)
                rest = rest.dropFirst()
            } else if group.isEmpty && groups.contains(first) {
                group.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !moved.isEmpty else { return arguments }
        var result = group + rest
        result.insert(contentsOf: moved, at: result.firstIndex(of: "--") ?? result.endIndex)
        return result
    }

    /// Which store, and how durable, as a plain value.
    var choice: StoreChoice { StoreChoice(db: db, sync: sync) }

    func openStore() throws -> Store {
        try choice.open()
    }
}

/// The options of a command that only reads: `--db`. `--sync` is accepted, as a script
/// may pass it to every command, but not shown: it changes nothing there.
struct ReadOptions: StoreOptionGroup {
    @Option(name: .long, help: GlobalOptions.dbHelp, completion: .file())
    var db: String?

    @Option(name: .long, help: ArgumentHelp(visibility: .hidden))
    var sync: Durability = .normal

    /// Which store, for reading it (see `StoreChoice.reading`).
    var choice: StoreChoice { StoreChoice(db: db, sync: sync).reading }

    func openStore() throws -> Store { try choice.open() }
}

/// The store a command works on, the durability it asks for, and whether it may create
/// the store.
struct StoreChoice {
    var db: String?
    var sync: Durability = .normal
    /// `.create` for commands that write (and waits, which may start before the first
    /// writer); `.existing` for those that only read.
    var access: StoreAccess = .create

    /// The same store for a command that only reads: a missing one is "no store at
    /// PATH" (exit 73) and nothing is created, and one this user may not write is read
    /// read-only.
    var reading: StoreChoice {
        var choice = self
        choice.access = .existing
        return choice
    }

    func open() throws -> Store {
        try Store.open(db, options: StoreOptions(durability: sync, access: access))
    }
}

extension Durability: ExpressibleByArgument {}

/// Parsers for option values, reporting problems as usage errors (exit 64).
enum Parse {
    static func duration(_ text: String) throws -> Duration {
        do { return try DurationText.parse(text) } catch { throw ValidationError(error.message) }
    }

    static func rate(_ text: String) throws -> WorkLimits.Rate {
        do { return try WorkLimits.Rate(parsing: text) } catch { throw ValidationError(error.message) }
    }

    static func receipt(_ text: String) throws -> SettleReceipt {
        guard let receipt = SettleReceipt(text) else {
            throw ValidationError("'\(text)' is not a receipt (one looks like 1-1795576301119273000-2d7f2c8c66aa2584: the \"receipt\" of dq get --lease --json, or GROUP:1-… from dq subscribe --lease --json)")
        }
        return receipt
    }

    static func name(_ name: String, what: String) throws {
        // Two names that differ only in bytes that are not UTF-8 would read as one.
        if RawArguments.wasRepaired(name) { throw ValidationError("\(what) is not valid UTF-8") }
        do { try Names.validate(name, what: what) } catch { throw ValidationError(error.message) }
    }

    static func queueName(_ name: String) throws {
        try Self.name(name, what: "queue name")
    }
}
