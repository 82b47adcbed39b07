import DurableQueue
import Foundation
import Testing

/// PostgreSQL addresses as `--db` and `$DQ_DB` take them (SPEC, "Engines").
@Suite("PostgreSQL addresses")
struct PostgresAddressTests {
    @Test("the forms SPEC lists, with libpq's defaults")
    func forms() throws {
        let full = try PostgresAddress("postgres://dq:s3cret@db.internal:5433/jobs?sslmode=require")
        #expect(full.endpoint == .tcp(host: "db.internal", port: 5433))
        #expect(full.user == "dq" && full.password == "s3cret" && full.database == "jobs" && full.tls == .require)
        let plain = try PostgresAddress("postgresql://app@10.0.0.7/queues")
        #expect(plain.endpoint == .tcp(host: "10.0.0.7", port: 5432) && plain.password == nil && plain.tls == .prefer)
        let socket = try PostgresAddress("postgres:///jobs?host=/run/postgresql", environment: ["USER": "me"])
        #expect(socket.endpoint == .socket(directory: "/run/postgresql", port: 5432) && socket.user == "me" && socket.tls == .disable)
        let socketPort = try PostgresAddress("postgres://dq@/jobs?host=/tmp/pg&port=6000")
        #expect(socketPort.endpoint == .socket(directory: "/tmp/pg", port: 6000))
        let ipv6 = try PostgresAddress("postgres://dq@[::1]:6543/jobs?sslmode=disable")
        #expect(ipv6.endpoint == .tcp(host: "::1", port: 6543) && ipv6.tls == .disable)
        let encoded = try PostgresAddress("postgres://d%20q:p%40ss%3Aw@h/j%C3%B6bs")
        #expect(encoded.user == "d q" && encoded.password == "p@ss:w" && encoded.database == "jöbs")
        #expect(PostgresAddress.isAddress("postgresql://x/y") && !PostgresAddress.isAddress("/var/lib/dq/store.db"))
    }

    @Test("its text never shows the password, and reads back as the same address")
    func description() throws {
        let address = try PostgresAddress("postgres://dq:s3cret@db.internal:5433/jobs?sslmode=require")
        #expect(address.description == "postgres://dq:***@db.internal:5433/jobs?sslmode=require")
        let socket = try PostgresAddress("postgres://dq@/jobs?host=/tmp/pg&port=6000")
        #expect(try PostgresAddress(socket.description) == socket)
        let plain = try PostgresAddress("postgresql://d%20q@[::1]/j%C3%B6bs")
        #expect(try PostgresAddress(plain.description) == plain)
    }

    @Test("bad addresses are usage errors that name the problem and never the password", arguments: [
        ("postgres://dq:s3cret@host/", "no database name"),
        ("postgres://dq:s3cret@host", "no database name"),
        ("postgres://dq:s3cret@host:99999/db", "out of range"),
        ("postgres://dq:s3cret@host:port/db", "bad port"),
        ("postgres://dq:s3cret@host/db?sslmode=maybe", "sslmode must be"),
        ("postgres://dq:s3cret@host/db?colour=blue", "unknown parameter colour"),
        ("postgres://dq:s3cret%zz@host/db", "bad password"),
        ("postgres://:s3cret@host/db", "no user name"),
    ])
    func invalid(text: String, reason: String) {
        let error = #expect(throws: DQError.self) { try PostgresAddress(text, environment: [:]) }
        #expect(error?.kind == .invalidArgument)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("s3cret") == false, "\(error?.message ?? "")")
    }

    @Test("the server .ci/run starts is reached through its parsed address")
    func ciServer() throws {
        guard let text = ProcessInfo.processInfo.environment["DQ_TEST_POSTGRES"] else {
            print("skipped: DQ_TEST_POSTGRES is not set (.ci/run sets it to the PostgreSQL server it starts)")
            return
        }
        let address = try PostgresAddress(text)
        guard case .socket(let directory, let port) = address.endpoint else {
            Issue.record("expected a unix socket address: \(address)")
            return
        }
        let psql = try ChildProcess("/usr/bin/env", ["psql", "-h", directory, "-p", String(port), "-U", address.user,
                                                     "-d", address.database, "-tAc", "SELECT 40 + 2"]).wait(timeout: .seconds(30))
        #expect(psql.status == 0 && psql.stdoutText == "42\n", "\(psql.stderrText)")
    }
}
