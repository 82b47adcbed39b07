import DQSystem
import DurableQueue
import PostgresNIO

/// `dq bench`'s stores on a PostgreSQL server: each run gets a database of its own, made
/// with `CREATE DATABASE` through a connection to the address `--db` names (with dq's
/// schema in it), and dropped when the bench ends.
final class PostgresBenchStores: BenchStores {
    /// The address given, whose database the admin connection uses.
    let address: String
    private let admin: RawPostgresConnection
    private let prefix = "dq_bench_\(CurrentProcess.id)"
    private var made: [String] = []
    /// The server's version and the settings that decide commit cost.
    private let settings: String
    private let synchronousCommit: String

    /// Connects to the server at `address` and reads its settings.
    ///
    /// - Throws: `BenchError` when the server cannot be reached or refuses.
    init(address: String) throws {
        self.address = address
        let admin = try RawPostgresConnection(address: address)
        func show(_ name: String) throws -> String {
            let row = try admin.rows(PostgresQuery(unsafeSQL: "SHOW \(name)")).first
            return (try? row?.decode(String.self)) ?? "?"
        }
        let synchronousCommit = try show("synchronous_commit")
        settings = "PostgreSQL \(try show("server_version")); shared_buffers=\(try show("shared_buffers")), "
            + "synchronous_commit=\(synchronousCommit), fsync=\(try show("fsync"))"
        self.admin = admin
        self.synchronousCommit = synchronousCommit
    }

    func fresh(_ name: String) throws -> String {
        let suffix = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let database = "\(prefix)_\(made.count + 1)_\(String(suffix))"
        try admin.run(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(database)\""))
        made.append(database)
        let store = PostgresAddress.replacingDatabase(in: address, with: database)
        // The schema is made here, once: processes that open a new database at the same
        // moment can collide making it (42P07).
        do {
            _ = try Store(postgres: store)
        } catch {
            throw BenchError(description: "cannot make a store in \(database): \(error.message)")
        }
        _ = try? admin.run(PostgresQuery(unsafeSQL: "CHECKPOINT"))
        return store
    }

    var description: String { "a database per run (\(prefix)_*) on \(PostgresAddress.redacted(address)) (\(settings))" }

    func durability(_ sync: String) -> String {
        sync == "full" ? "synchronous_commit=on" : "synchronous_commit=\(synchronousCommit) (the server's)"
    }

    func removeAll() {
        for database in made { try? admin.run(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(database)\" WITH (FORCE)")) }
        made = []
    }
}
