import DurableQueue
import FoundationEssentials
import Logging
import PostgresNIO

/// `dq doctor` on a PostgreSQL store: the server, the `dq` schema, the engine's
/// consistency check, leases, dead letters, and the space dq's tables take.
extension Doctor {
    /// Dead tuples above this many, and above the live ones, are a `bloat` warning.
    static let bloatThreshold: Int64 = 10_000

    /// Examines the store `location` names, whichever engine keeps it: a `postgres://`
    /// or `postgresql://` address with `examine(postgres:)`, anything else with
    /// `examine(path:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// let diagnosis = Doctor.examine(location: "postgres://dq@db.internal/jobs")
    /// ```
    public static func examine(location: String) -> Diagnosis {
        PostgresAddress.isAddress(location) ? examine(postgres: location) : examine(path: location)
    }

    /// Examines the store on the PostgreSQL server at `address` without changing its
    /// messages or shared state (only an older schema is upgraded, as by any dq that
    /// opens it). A server that cannot be reached or refuses the login, and a database
    /// without the schema `dq`, are findings, not errors. The diagnosis's `path` and
    /// every finding show the address without its password.
    ///
    /// Checks, in order: `server` (reached; its version, `server_version_num`), `schema`
    /// (`version`), `integrity` (`PostgresEngine.integrityCheck()`), `leases` (`leased`,
    /// `past_lease`), `dead letters` (`dead`), `size` (`db_bytes`, dq's tables with
    /// their indexes) and `bloat` (`dead_tuples`, `live_tuples` from
    /// `pg_stat_user_tables`: a warning when the dead ones outnumber the live ones and
    /// `bloatThreshold`).
    ///
    /// For example:
    ///
    /// ```swift
    /// for finding in Doctor.examine(postgres: "postgres://dq@/jobs?host=/run/postgresql").findings {
    ///     print(finding.check, finding.detail)
    /// }
    /// ```
    public static func examine(postgres text: String) -> Diagnosis {
        var diagnosis = Diagnosis(path: PostgresAddress.redacted(text))
        let address: PostgresAddress
        do { address = try PostgresAddress(text) } catch {
            diagnosis.fail("server", error)
            return diagnosis
        }
        do {
            let (version, number) = try serverVersion(address)
            diagnosis.add("server", .ok, "PostgreSQL \(version)", values: ["server_version_num": number])
        } catch {
            diagnosis.fail("server", error)
            return diagnosis
        }
        // No schema dq (or a newer one) fails as any command would; a later error is a problem.
        switch Result(catching: { () throws(DQError) in try PostgresEngine(address: address, options: StoreOptions(access: .existing)) }) {
        case .failure(let error):
            diagnosis.fail("schema", error)
        case .success(let engine):
            do { try examine(engine, into: &diagnosis) } catch { diagnosis.add("store", .problem, error.message) }
        }
        return diagnosis
    }

    /// The checks that need the open store, each added to `diagnosis` as it is made.
    private static func examine(_ engine: PostgresEngine, into diagnosis: inout Diagnosis) throws(DQError) {
        let version = try engine.scalar("SELECT value FROM dq.meta WHERE name = 'schema_version'", as: Int64.self) ?? 0
        diagnosis.add("schema", .ok, "version \(version)", values: ["version": version])
        let integrity = try engine.integrityCheck()
        diagnosis.add("integrity", integrity == "ok" ? .ok : .problem,
                      integrity == "ok" ? "ok" : integrity.split(separator: "\n").prefix(5).joined(separator: "; "))
        let stats = try engine.stats()
        let leased = Int64(stats.queues.reduce(0) { $0 + $1.leased })
        let stuck = try engine.scalar("SELECT count(*) FROM dq.messages WHERE lease_token IS NOT NULL AND visible_at <= now()",
                                      as: Int64.self) ?? 0
        diagnosis.add("leases", stuck > 0 ? .warning : .ok,
                      "\(leased) leased, \(stuck) past their lease (delivered again at the next get)",
                      values: ["leased": leased, "past_lease": stuck])
        let dead = stats.queues.filter { $0.dead > 0 }.map { "\($0.name): \($0.dead)" }
        diagnosis.add("dead letters", dead.isEmpty ? .ok : .warning, dead.isEmpty ? "none" : dead.joined(separator: ", "),
                      values: ["dead": Int64(stats.queues.reduce(0) { $0 + $1.dead })])
        diagnosis.add("size", .ok, "dq's tables and indexes \(stats.databaseBytes) bytes", values: ["db_bytes": stats.databaseBytes])
        var (deadTuples, liveTuples): (Int64, Int64) = (0, 0)
        if let row = try engine.rows("""
            SELECT coalesce(sum(n_dead_tup), 0)::bigint, coalesce(sum(n_live_tup), 0)::bigint
            FROM pg_stat_user_tables WHERE schemaname = 'dq'
            """).first {
            (deadTuples, liveTuples) = try PostgresEngine.decode(row, as: (Int64, Int64).self)
        }
        let bloated = deadTuples > liveTuples && deadTuples > bloatThreshold
        diagnosis.add("bloat", bloated ? .warning : .ok,
                      "\(deadTuples) dead tuples, \(liveTuples) live" + (bloated ? "; autovacuum is behind: VACUUM dq's tables" : ""),
                      values: ["dead_tuples": deadTuples, "live_tuples": liveTuples])
    }

    /// The server's version (`server_version`, `server_version_num`), on a connection of
    /// its own that needs no `dq` schema.
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` when the server cannot be reached or
    ///   refuses the login, naming the address without its password.
    private static func serverVersion(_ address: PostgresAddress) throws(DQError) -> (String, Int64) {
        let session = try PostgresSession.open(address, id: 0, logger: Logger(label: "dq", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { session.close() }
        let rows: [PostgresRow]
        do {
            rows = try session.rows("SELECT current_setting('server_version'), current_setting('server_version_num')::bigint")
        } catch {
            switch error.kind {
            case .error(let error): throw error
            case .connectionLost, .retry: throw DQError(.storeUnavailable, "lost the connection to PostgreSQL at \(address)")
            }
        }
        guard let row = rows.first else { return ("unknown", 0) }
        return try PostgresEngine.decode(row, as: (String, Int64).self)
    }
}
