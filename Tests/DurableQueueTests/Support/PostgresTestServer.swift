import DurableQueue
@testable import DurableQueuePostgres
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The PostgreSQL server the tests use: the one `.ci/run` starts, named by
/// `$DQ_TEST_POSTGRES` (tests that need it are skipped, or not generated, without it).
enum PostgresTestServer {
    /// The server's address, if the tests have one.
    static let address: PostgresAddress? = text.flatMap { try? PostgresAddress($0) }

    /// `$DQ_TEST_POSTGRES` as written.
    private static let text = ProcessInfo.processInfo.environment["DQ_TEST_POSTGRES"]

    private static let counter = Atomic<Int>(0)

    /// The databases this test process made, dropped when it exits.
    private static let made = Mutex<[String]>([])
    /// Registers `dropMadeDatabases` to run at exit, once (on first use).
    private static let dropAtExit: Void = { atexit { PostgresTestServer.dropMadeDatabases() } }()

    /// A new, empty database on the test server, as a `postgres://` address: each test
    /// gets a store of its own (the schema `dq` is per database). The process drops it
    /// when it exits (`dropMadeDatabases`).
    static func freshDatabase() throws -> String {
        guard let address else { throw DQError(.storeUnavailable, "DQ_TEST_POSTGRES is not set") }
        let name = "dq_test_\(getpid())_\(counter.add(1, ordering: .relaxed).newValue)_\(UInt32.random(in: 0 ... .max))"
        let session = try PostgresSession.open(address, id: 0, logger: Logger(label: "dq.test"))
        defer { session.close() }
        do {
            try session.run(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""))
        } catch {
            throw DQError(.storeUnavailable, "cannot create test database \(name): \(error.kind)")
        }
        made.withLock { $0.append(name) }
        dropAtExit
        return PostgresAddress.replacingDatabase(in: text ?? "", with: name)
    }

    /// Drops the databases `freshDatabase` made, ending any session still on them, so a
    /// server of one's own does not keep a database per test after each run.
    static func dropMadeDatabases() {
        let names = made.withLock { made in
            defer { made = [] }
            return made
        }
        guard let address, !names.isEmpty,
              let session = try? PostgresSession.open(address, id: 0, logger: Logger(label: "dq.test")) else { return }
        defer { session.close() }
        for name in names {
            _ = try? session.run(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"))
        }
    }

    /// The number the query `sql` returns on the store `db` (a `postgres://` address).
    static func count(_ sql: String, on db: String) -> Int {
        guard let address = try? PostgresAddress(db),
              let session = try? PostgresSession.open(address, id: 0, logger: Logger(label: "dq.test")) else { return -1 }
        defer { session.close() }
        return (try? session.rows(PostgresQuery(unsafeSQL: sql)).first?.decode(Int.self)) ?? -1
    }

    /// Runs the statement `sql` (one that returns no rows) on the store `db`: whether it succeeded.
    @discardableResult
    static func run(_ sql: String, on db: String) -> Bool {
        guard let address = try? PostgresAddress(db),
              let session = try? PostgresSession.open(address, id: 0, logger: Logger(label: "dq.test")) else { return false }
        defer { session.close() }
        return (try? session.run(PostgresQuery(unsafeSQL: sql))) != nil
    }

    /// How many sessions of process `pid` are connected to the store `db`.
    static func sessions(of pid: Int32, on db: String) -> Int {
        count("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dq \(pid)'", on: db)
    }

    /// A `dq get q --timeout 30s` on the store `db`, started after a put and a get have made
    /// the store and left `q` empty; callers wait for it to listen (`listeners(on:pid:)`).
    static func blockedGet(on db: String) throws -> ChildProcess {
        #expect(try dq(["put", "q", "warm", "--db", db]).status == 0)
        #expect(try dq(["get", "q", "--db", db]).stdoutText == "warm\n")
        return try ChildProcess(Executables.dq, ["get", "q", "--timeout", "30s", "--db", db])
    }

    /// How many sessions listen for `channel` (noted with `dq.listen` after their LISTEN:
    /// a shared session advisory lock), or how many channels process `pid`'s sessions
    /// listen for.
    static func listeners(on db: String, channel: String? = nil, pid: Int32? = nil) -> Int {
        var sql = """
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = \(PostgresSchema.LockSpace.listeners) AND l.objsubid = 2 AND l.mode = 'ShareLock' AND l.granted
            """
        if let channel { sql += " AND l.objid = hashtext('\(channel.replacingOccurrences(of: "'", with: "''"))')::oid" }
        if let pid { sql += " AND a.application_name = 'dq \(pid)'" }
        return count(sql, on: db)
    }
}
