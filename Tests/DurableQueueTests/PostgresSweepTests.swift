import DurableQueue
@testable import DurableQueuePostgres
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The return of a dead lease holder's leases on PostgreSQL (`dq.sweep`), where a holder's
/// lock lives on one connection and its leases are taken on others.
@Suite("PostgreSQL holder sweep", .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
struct PostgresSweepTests {
    private static func session(_ db: String) throws -> PostgresSession {
        try PostgresSession.open(PostgresAddress(db), id: 0, logger: Logger(label: "dq.test"))
    }

    /// A process killed while its lease was being committed: its holder lock (on its
    /// listening connection) is gone before the lease (on another connection) commits. A
    /// sweep in between must not forget the holder, or the message stays leased to nobody
    /// until its lease ends.
    @Test("a lease committed after its holder's session ended still comes back with the next sweep",
          .timeLimit(.minutes(1)))
    func leaseCommittedAfterHolderDied() throws {
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        try store.queue("q").put(Data("job".utf8))
        let holder: Int32 = 7
        let keeper = try Self.session(db)
        defer { keeper.close() }
        try keeper.run("SELECT pg_advisory_lock(\(PostgresSchema.LockSpace.holders), \(holder))")
        try keeper.run("INSERT INTO dq.holders (id) VALUES (\(holder))")
        let leasing = try Self.session(db)
        defer { leasing.close() }
        try leasing.run("BEGIN")
        let leased = try leasing.rows("SELECT id FROM dq.receive('q', 1, 60000000, 100, \(holder), NULL, NULL, NULL, false)")
            .compactMap { try $0.decode(Int64?.self) }
        #expect(leased.count == 1)
        // The holder's process dies: its listening session ends, the lease is not committed yet.
        keeper.close()
        let observer = try Self.session(db)
        defer { observer.close() }
        func count(_ sql: PostgresQuery) -> Int { (try? observer.rows(sql).first?.decode(Int.self)) ?? -1 }
        #expect(eventually(timeout: .seconds(10)) {
            count("SELECT count(*)::integer FROM pg_locks WHERE locktype = 'advisory' AND classid = 25713 AND objid = \(holder)") == 0
        }, "the holder's session lock is released")
        // Another process sweeps meanwhile (on a thread: it may wait for the lease's commit).
        let sweeper = try Self.session(db)
        defer { sweeper.close() }
        let swept = Mutex<Bool>(false)
        let thread = Thread {
            _ = try? sweeper.rows("SELECT count(*) FROM dq.sweep(0)")
            swept.withLock { $0 = true }
        }
        thread.start()
        #expect(eventually(timeout: .seconds(10)) {
            swept.withLock { $0 } || count("SELECT count(*)::integer FROM pg_locks WHERE NOT granted") > 0
        }, "the sweep ended or waits")
        try leasing.run("COMMIT")
        #expect(eventually(timeout: .seconds(10)) { swept.withLock { $0 } }, "the sweep ended")
        // Any later sweep (every receive and every waiting process's probe makes one) returns it.
        _ = try observer.rows("SELECT count(*) FROM dq.sweep(0)")
        #expect(count("SELECT count(*)::integer FROM dq.messages WHERE queue = 'q' AND holder IS NULL AND visible_at <= now()") == 1,
                "the message is deliverable again")
    }

    /// The same death seen the other way round: the sweep found the holder gone and
    /// deleted its row before the receive it had sent ran.
    @Test("a lease taken after a sweep forgot its dead holder still comes back with the next sweep")
    func leaseTakenAfterSweep() throws {
        let db = try PostgresTestServer.freshDatabase()
        let store = try Store.open(db)
        try store.queue("q").put(Data("job".utf8))
        let holder: Int32 = 8
        let session = try Self.session(db)
        defer { session.close() }
        func count(_ sql: PostgresQuery) -> Int { (try? session.rows(sql).first?.decode(Int.self)) ?? -1 }
        // A registered holder whose session lock is free: its process is gone.
        try session.run("INSERT INTO dq.holders (id) VALUES (\(holder))")
        _ = try session.rows("SELECT count(*) FROM dq.sweep(0)")
        #expect(count("SELECT count(*)::integer FROM dq.holders WHERE id = \(holder)") == 0, "the sweep forgot the holder")
        let leased = try session.rows("SELECT id FROM dq.receive('q', 1, 60000000, 100, \(holder), NULL, NULL, NULL, false)")
            .compactMap { try $0.decode(Int64?.self) }
        #expect(leased.count == 1)
        _ = try session.rows("SELECT count(*) FROM dq.sweep(0)")
        #expect(count("SELECT count(*)::integer FROM dq.messages WHERE queue = 'q' AND holder IS NULL AND visible_at <= now()") == 1,
                "the message is deliverable again")
    }
}
