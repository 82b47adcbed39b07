import DurableQueue
import DurableQueuePostgres
import Foundation
import PostgresNIO
import Testing

/// Connections to a real PostgreSQL server through a parsed address: the server that
/// `.ci/run` starts, named by `$DQ_TEST_POSTGRES` (skipped without it).
@Suite("PostgreSQL connections")
struct PostgresConnectionTests {
    static var server: PostgresAddress? {
        ProcessInfo.processInfo.environment["DQ_TEST_POSTGRES"].flatMap { try? PostgresAddress($0) }
    }

    @Test("a query, and a NOTIFY from one connection reaching a LISTEN on another", .timeLimit(.minutes(1)))
    func listenNotify() async throws {
        guard let server = Self.server else {
            print("skipped: DQ_TEST_POSTGRES is not set (.ci/run sets it to the PostgreSQL server it starts)")
            return
        }
        let listener = try await server.connect()
        let notifier = try await server.connect()
        let rows = try await notifier.query("SELECT 40 + 2 AS answer", logger: .init(label: "test"))
        var answer: Int?
        for try await (value) in rows.decode(Int.self) { answer = value }
        #expect(answer == 42)
        let channel = "dq_test_\(UInt32.random(in: 0 ... .max))"
        let payload: String? = try await listener.listen(on: channel) { notifications in
            try await notifier.query("SELECT pg_notify(\(channel), 'hello')", logger: .init(label: "test"))
            for try await notification in notifications { return Optional(notification.payload) }
            return nil
        }
        #expect(payload == "hello")
        try await listener.close()
        try await notifier.close()
    }

    @Test("a server that refuses: one storeUnavailable error naming the address, never the password", .timeLimit(.minutes(1)))
    func refused() async throws {
        guard let server = Self.server, case .socket(let directory, let port) = server.endpoint else {
            print("skipped: DQ_TEST_POSTGRES is not set to a unix-socket address")
            return
        }
        let missing = try PostgresAddress("postgres://\(server.user):s3cret@/no_such_db?host=\(directory)&port=\(port)")
        let error = await #expect(throws: DQError.self) { _ = try await missing.connect() }
        #expect(error?.kind == .storeUnavailable)
        #expect(error?.message.contains("no_such_db") == true && error?.message.contains("s3cret") == false, "\(error?.message ?? "")")
        let nowhere = try PostgresAddress("postgres://dq:s3cret@/dq?host=\(directory)/absent")
        let unreachable = await #expect(throws: DQError.self) { _ = try await nowhere.connect() }
        #expect(unreachable?.kind == .storeUnavailable && unreachable?.message.contains("s3cret") == false)
    }
}
