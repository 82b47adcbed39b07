import ArgumentParser
import DurableQueue

/// The `dq` command: durable queues between processes, on one SQLite file or a PostgreSQL server.
@main
struct DQ: ParsableCommand {
    static let version = "0.1.0"

    // Every command spells out its `commandName`: without it ArgumentParser derives the
    // name with `String(describing:)`, whose protocol-conformance lookups scan every
    // conformance in the binary at each start.
    static let configuration = CommandConfiguration(
        commandName: "dq",
        abstract: "Durable message queues between processes, on one SQLite file or a PostgreSQL server.",
        discussion: HelpExamples.discussion("", """
            The store is one SQLite file in WAL mode: --db PATH, else $DQ_DB, else \
            $XDG_DATA_HOME/dq/default.db (~/.local/share/dq/default.db). A postgres:// address \
            there (postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=…], or \
            postgres:///DBNAME?host=/run/postgresql) keeps it on that PostgreSQL server instead, \
            in the schema dq; put a password in $DQ_DB rather than --db, out of ps.

            Options every command takes, before or after the command's name:
              --db <path>           the store file, or a postgres:// address
              --sync <normal|full>  how durable writes are: normal (the default) survives
                                    a process crash; full also power loss (fsync)

            Commands that write or wait create a missing store. Commands that only read \
            (len, peek, dead, queues, show, stats, doctor, kv get/keys/items, list items/len, \
            counter get, event is-set) create nothing: `dq len --db /tmp/typo.db jobs` fails with \
            "dq: no store at /tmp/typo.db" (73). They also work for a user who may only read \
            the store.

            Exit status: 0 success; 1 no result (empty queue or list, absent key, event \
            clear, timeout); 64 usage \
            error; 65 bad data (not a dq store, corrupt file, stale receipt); 73 cannot \
            create, open or write the store (permissions, read-only, disk full); 75 \
            temporary failure (lock or busy timeout, out of descriptors, inotify watches \
            or memory); 70 internal error.
            """),
        version: version,
        subcommands: [
            Put.self, Get.self, Call.self, Ack.self, Nack.self, Extend.self, Peek.self, Len.self, Purge.self,
            Queues.self, Drop.self, Show.self, Delete.self, Move.self,
            Dead.self, RetryDead.self, Worker.self, ScheduleCommand.self, KV.self, ListCommand.self, CounterCommand.self, LockCommand.self,
            PipeCommand.self, Publish.self, Subscribe.self, Read.self, Groups.self, Trim.self, Streams.self,
            EventCommand.self, Stats.self, Web.self, DoctorCommand.self, Bench.self, Torture.self,
            BenchRole.self, ChildExec.self, TortureProducer.self,
        ]
    )

    /// Parses and runs, reporting every failure as one `dq: ` line on stderr with the
    /// exit status the command line contract promises.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if QuickPath.run(arguments) { return }
        do {
            // Commands with subcommands of their own (kv, list, counter, event).
            let groups = Set(configuration.subcommands.filter { !$0.configuration.subcommands.isEmpty }
                .compactMap { $0.configuration.commandName })
            let moved = GlobalOptions.movedAfterSubcommand(arguments, groups: groups)
            do {
                var command = try parseAsRoot(moved)
                try command.run()
            } catch where unknownCommand(moved) != nil {
                ErrorReport.fail(unknownCommand(moved)!, status: 64)
            }
        } catch {
            ErrorReport.exit(for: error)
        }
    }

    /// For a command line whose first word names no command, or whose second names none
    /// of its group's (`dq event sett e`): saying so, where ArgumentParser would only
    /// call them unexpected arguments.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard var name = arguments.first, !name.hasPrefix("-") else { return nil }
        var arguments = arguments
        if name == "help" {
            // `dq help CMD [SUB]` names commands as the command line would.
            guard arguments.count > 1 else { return nil }
            arguments.removeFirst()
            name = arguments[0]
        }
        guard let command = configuration.subcommands.first(where: { $0.configuration.commandName == name }) else {
            return "unknown command '\(name)' (see dq --help)"
        }
        let subcommands = command.configuration.subcommands.compactMap { $0.configuration.commandName }
        guard !subcommands.isEmpty, arguments.count > 1, !arguments[1].hasPrefix("-"), !subcommands.contains(arguments[1])
        else { return nil }
        return "unknown \(name) command '\(arguments[1])': use one of \(subcommands.joined(separator: ", "))"
    }
}
