@testable import DurableQueue
@testable import DurableQueuePostgres
import Foundation
import Testing

/// A store's listening connection on PostgreSQL is taken from its pool and lent for single
/// statements between the probe's turns (`SharedTurn`), so a process that waits and then
/// takes keeps one connection.
@Suite("PostgreSQL shared listening connection")
struct SharedConnectionTests {
    @Test("callers and the probe take turns; a waiting probe keeps callers away until its turn")
    func turns() {
        let turn = SharedTurn()
        #expect(turn.takeForCaller())
        #expect(!turn.takeForCaller(), "two callers at once")
        #expect(!turn.takeForProbe(), "the probe behind a caller")
        turn.release()
        #expect(!turn.takeForCaller(), "a caller ahead of the waiting probe")
        #expect(turn.takeForProbe())
        #expect(!turn.takeForCaller(), "a caller during the probe")
        turn.release()
        #expect(turn.takeForCaller(), "a caller after the probe's turn")
        // A probe that gives up waiting (its readers left) lets callers have it again.
        #expect(!turn.takeForProbe())
        turn.release()
        turn.stopWaiting()
        #expect(turn.takeForCaller(), "a caller after the probe stopped waiting")
    }

    @Test("a blocked get listens on the connection it took with, and takes on it when woken",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"), .timeLimit(.minutes(1)))
    func oneConnection() throws {
        let db = try PostgresTestServer.freshDatabase()
        let waiting = try PostgresTestServer.blockedGet(on: db)
        #expect(eventually(timeout: .seconds(20)) { PostgresTestServer.listeners(on: db, pid: waiting.pid) > 0 })
        #expect(PostgresTestServer.sessions(of: waiting.pid, on: db) == 1)
        #expect(try dq(["put", "q", "hello", "--db", db]).status == 0)
        let got = waiting.wait(timeout: .seconds(20))
        #expect(got.status == 0 && got.stdoutText == "hello\n", "\(got.status) \(got.stdoutText) \(got.stderrText)")
    }

    /// `store`'s engine, its keeper listening for `queues` on the store's one connection
    /// (so statements are lent it), nothing rung yet; and how many sessions this process
    /// has on `db` (the keeper's, and the count's own).
    private static func listening(_ store: Store, on db: String, for queues: [String]) throws -> (PostgresEngine, sessions: Int) {
        let engine = try #require(store.engine as? PostgresEngine)
        for queue in queues { try engine.keeper.watch(queue) }
        let sessions = PostgresTestServer.sessions(of: getpid(), on: db)
        _ = engine.keeper.drain { _ in }
        return (engine, sessions)
    }

    @Test("a put that runs on the listening connection rings this process's waiters itself (the server notifies only other sessions)",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"), .timeLimit(.minutes(1)))
    func putOnListeningConnection() throws {
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        let (engine, sessions) = try Self.listening(store, on: db, for: ["q"])
        #expect(PostgresTestServer.listeners(on: db, channel: "q") == 1)
        try store.queue("q").put("hello")
        #expect(PostgresTestServer.sessions(of: getpid(), on: db) == sessions, "the put ran on the listening connection")
        var rung: [String] = []
        _ = engine.keeper.drain { rung.append($0) }
        #expect(rung == ["q"])
    }

    @Test("a publish that runs on the listening connection rings this process's waiters on the stream's groups",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"), .timeLimit(.minutes(1)))
    func publishOnListeningConnection() throws {
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        let stream = try store.stream("s")
        let group = try stream.group("g")
        _ = try store.stream("other").group("g")
        let groupQueue = group.queue.name
        let (engine, sessions) = try Self.listening(store, on: db, for: [groupQueue, "q"])
        try stream.publish("one")
        try store.stream("other").publish("two")
        #expect(PostgresTestServer.sessions(of: getpid(), on: db) == sessions, "the publishes ran on the listening connection")
        var rung: [String] = []
        _ = engine.keeper.drain { rung.append($0) }
        #expect(rung == [groupQueue], "only the watched group of s: \(rung)")
        #expect(try group.get(limit: 10, timeout: .zero).map(\.text) == ["one"])
    }
}
