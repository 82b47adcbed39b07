import DurableQueue
@testable import DurableQueuePostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// Claims on PostgreSQL read their queue's first entries whatever the statistics and the
/// plans a session made earlier say (schema 15's parked messages; dq's sessions plan
/// without sequential scans).
@Suite("PostgreSQL claim plans", .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
struct PostgresClaimPlanTests {
    @Test("a session that planned its takes and acks on a new store still reads a few rows each after a backlog arrives")
    func plansMadeOnANewStore() throws {
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        let session = try Self.session(db)
        defer { session.close() }
        try store.queue("q").put(contentsOf: (0..<20).map { OutgoingMessage(Data("\($0)".utf8)) })
        try session.run("ANALYZE dq.messages")
        // Enough calls for plpgsql to keep one plan of each statement for the session. The
        // 20 rows taken stay in the indexes until a vacuum: a claim reads past them.
        for _ in 0..<10 {
            let leased = try session.rows("SELECT id, token FROM dq.receive('q', 1, 60000000, 10, NULL, NULL, NULL, NULL, false)")
            let (id, token) = try #require(leased.first).decode((Int64, Int64).self)
            #expect(try session.rows("SELECT dq.ack('q', \(id), \(token), false)").first?.decode(Bool.self) == true)
            _ = try session.rows("SELECT id FROM dq.take_one('q', NULL, false, false)")
        }
        try session.run("""
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at)
            SELECT v, v, 'q', 0, 'b'::bytea, now(), now() FROM generate_series(1000000, 1020000) v
            """)
        try session.run("BEGIN")
        let leased = try session.rows("SELECT id, token FROM dq.receive('q', 1, 60000000, 10, NULL, NULL, NULL, NULL, false)")
        let (id, token) = try #require(leased.first).decode((Int64, Int64).self)
        _ = try session.rows("SELECT dq.ack('q', \(id), \(token), false)")
        let taken = try session.rows("SELECT id FROM dq.take_one('q', NULL, false, false)").first?.decode(Int64?.self)
        let read = try Self.rowsRead(session)
        try session.run("COMMIT")
        #expect(id == 1_000_000 && taken == 1_000_001)
        #expect(read < 1_000, "a receive, an ack and a take read \(read) rows and index entries of dq.messages")
    }

    @Test("delayed messages ahead in order cost a claim nothing, and one that comes due is taken in priority order")
    func delayedMessagesAhead() throws {
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        let queue = try store.queue("q")
        try queue.put(contentsOf: (0..<5_000).map { OutgoingMessage(Data("later \($0)".utf8), delay: .seconds(3_600)) })
        try queue.put(Data("soon".utf8), priority: 5, delay: .seconds(2))
        try queue.put(Data("now".utf8))
        let session = try Self.session(db)
        defer { session.close() }
        try session.run("ANALYZE dq.messages")
        try session.run("BEGIN")
        let first = try session.rows("SELECT body FROM dq.take_one('q', NULL, false, false)").first?.decode(Data?.self)
        let read = try Self.rowsRead(session)
        try session.run("COMMIT")
        #expect(first == Data("now".utf8))
        #expect(read < 50, "a take read \(read) rows and index entries of dq.messages")
        try queue.put(Data("now again".utf8))
        // Once due, the parked message is unparked by the next claim and goes first.
        #expect(eventually(timeout: .seconds(10)) { (try? queue.peek(limit: 1).first?.body) == Data("soon".utf8) })
        #expect(try queue.get(timeout: .zero)?.body == Data("soon".utf8))
        #expect(try queue.get(timeout: .zero)?.body == Data("now again".utf8))
        #expect(try queue.count() == 0 && queue.stats()?.delayed == 5_000)
    }

    @Test("a move of a whole queue takes every due message, when more have come due than a claim unparks at once")
    func moveUnparksEveryDueMessage() throws {
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        let source = try store.queue("from"), destination = try store.queue("to")
        try source.put(contentsOf: (0..<250).map { OutgoingMessage(Data("\($0)".utf8), delay: .milliseconds(100)) })
        try source.put(contentsOf: (0..<3).map { OutgoingMessage(Data("later \($0)".utf8), delay: .seconds(3_600)) })
        #expect(eventually(timeout: .seconds(10)) { (try? source.count()) == 250 })
        let moved = try source.move(to: destination)
        #expect(moved.moved == 250 && moved.duplicates == 0)
        #expect(try source.count() == 0 && destination.count() == 250 && source.stats()?.delayed == 3)
    }

    /// A connection to `db` with the settings dq's own connections start with.
    private static func session(_ db: String) throws -> PostgresSession {
        try PostgresSession.open(PostgresAddress(db), id: 0, logger: Logger(label: "dq.test"),
                                 settings: PostgresEngine.sessionSettings(StoreOptions()))
    }

    /// The rows and index entries of `dq.messages` read so far in this transaction.
    private static func rowsRead(_ session: PostgresSession) throws -> Int {
        try session.rows("""
            SELECT ((SELECT sum(pg_stat_get_xact_tuples_returned(indexrelid)) FROM pg_index WHERE indrelid = 'dq.messages'::regclass)
                 + (SELECT coalesce(sum(seq_tup_read), 0) FROM pg_stat_xact_user_tables WHERE relid = 'dq.messages'::regclass))::bigint
            """).first?.decode(Int.self) ?? .max
    }
}
