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
}
