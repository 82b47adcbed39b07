import DurableQueue
@testable import DurableQueuePostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// The safety re-check of waiting readers on PostgreSQL, made by each process's listening
/// connection once a second (`WaitProbe`) instead of by every reader.
@Suite("PostgreSQL wait probe", .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
struct PostgresWaitProbeTests {
    @Test("a message stored with no notification reaches a waiting get within seconds, not at its 10 s backstop",
          .timeLimit(.minutes(1)))
    func silentMessage() throws {
        let db = try PostgresTestServer.freshDatabase()
        let waiting = try PostgresTestServer.blockedGet(on: db)
        #expect(eventually(timeout: .seconds(20)) { PostgresTestServer.listeners(on: db, pid: waiting.pid) > 0 })
        // As if its notification were lost: the row alone, no NOTIFY.
        let session = try PostgresSession.open(PostgresAddress(db), id: 0, logger: Logger(label: "dq.test"))
        defer { session.close() }
        try session.run("""
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at)
            SELECT v, v, 'q', 0, 'quiet'::bytea, now(), now() FROM nextval('dq.message_ids') v
            """)
        let stored = ContinuousClock.now
        let got = waiting.wait(timeout: .seconds(20))
        let took = ContinuousClock.now - stored
        #expect(got.status == 0 && got.stdoutText == "quiet\n", "\(got.status) \(got.stdoutText) \(got.stderrText)")
        #expect(took < .seconds(5), "the get took \(took)")
    }

    @Test("the probe looks at each waited queue's own index entries, whatever the backlog of another queue")
    func probeReadsOnlyItsQueues() throws {
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        let session = try PostgresSession.open(PostgresAddress(db), id: 0, logger: Logger(label: "dq.test"))
        defer { session.close() }
        // One busy queue is all the statistics see: an equality on an unknown queue then
        // looks like it matches every row.
        try session.run("""
            INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at)
            SELECT v, v, 'backlog', 0, 'b'::bytea, now(), now() FROM generate_series(1000, 6000) v
            """)
        try session.run("ANALYZE dq.messages")
        try store.queue("warm").put(Data("x".utf8))
        try session.run("BEGIN")
        let found = try session.rows("SELECT q FROM dq.probe(0, ARRAY['idle', 'warm', 'backlog']) AS q")
            .map { try $0.decode(String.self) }
        let read = try session.rows("""
            SELECT ((SELECT sum(pg_stat_get_xact_tuples_returned(indexrelid)) FROM pg_index WHERE indrelid = 'dq.messages'::regclass)
                 + (SELECT coalesce(sum(seq_tup_read), 0) FROM pg_stat_xact_user_tables WHERE relid = 'dq.messages'::regclass))::bigint
            """).first?.decode(Int.self)
        try session.run("COMMIT")
        #expect(Set(found) == ["warm", "backlog"])
        #expect((read ?? .max) < 20, "the probe read \(read ?? -1) rows and index entries of dq.messages")
    }
}
