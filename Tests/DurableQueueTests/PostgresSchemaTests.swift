@testable import DurableQueue
@testable import DurableQueuePostgres
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// The `dq` schema on a real server: its versions, the migration from an older one, and
/// what the client computes the same way as the schema.
@Suite("PostgreSQL schema", .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
struct PostgresSchemaTests {
    private static func session(_ db: String) throws -> PostgresSession {
        try PostgresSession.open(PostgresAddress(db), id: 0, logger: Logger(label: "dq.test"))
    }

    /// A fresh store, and two sessions on it: one to put, one to listen.
    private static func putterAndListener() throws -> (db: String, putter: PostgresSession, listener: PostgresSession) {
        let db = try PostgresTestServer.freshDatabase()
        _ = try Store.open(db)
        return (db, try session(db), try session(db))
    }

    private static func version(_ session: PostgresSession) throws -> Int? {
        try session.rows("SELECT value FROM dq.meta WHERE name = 'schema_version'").first?.decode(Int.self)
    }

    @Test("the client's channel names are the server's dq.channel, for any name")
    func channelNames() throws {
        let db = try PostgresTestServer.freshDatabase()
        _ = try Store.open(db)
        let session = try Self.session(db)
        defer { session.close() }
        let names = ["q", "jobs.email", "it's \"quoted\"", "émoji 🚀 名前", String(repeating: "x", count: 200), "\u{1}dict\u{1}d\u{1}k"]
        for name in names {
            let server = try session.rows("SELECT dq.channel(\(name))").first?.decode(String.self)
            #expect(NotificationChannel.name(for: name) == server, "\(name)")
        }
    }

    @Test("a version 1 schema is migrated on open, keeping its messages; a get that empties its queue says so")
    func migration() throws {
        let db = try PostgresTestServer.freshDatabase()
        let session = try Self.session(db)
        defer { session.close() }
        try session.run("CREATE SCHEMA dq")
        try session.simple(PostgresSchema.steps[0])
        #expect(try Self.version(session) == 1)
        try session.run("SELECT dq.put('q', ARRAY['\\x61'::bytea, '\\x62'::bytea], ARRAY[0, 0]::bigint[], ARRAY[0, 0]::bigint[], ARRAY['', ''], false)")
        try session.run("SELECT dq.put('later', ARRAY['\\x61'::bytea], ARRAY[0]::bigint[], ARRAY[60000000]::bigint[], ARRAY[''], false)")

        let store = try Store.open(db)
        // Version 15 parks the message not yet due.
        #expect(try session.rows("SELECT parked FROM dq.messages WHERE queue = 'later'").map { try $0.decode(Bool.self) } == [true])
        #expect(try store.queue("later").stats()?.delayed == 1)
        #expect(try Self.version(session) == PostgresSchema.version && PostgresSchema.version == 15)
        #expect(try store.queue("q").count() == 2)
        #expect(try store.schedules().isEmpty, "version 4's table is there")
        #expect(try store.streams().isEmpty, "version 5's tables are there")
        #expect(try store.heldLocks().isEmpty, "version 7's table is there")
        // The row with no id and no due time comes with the take that leaves the queue empty.
        // (Only when asked: the check costs an index lookup.)
        func take(sayDrained: Bool = true) throws -> [(id: Int64?, due: Int64?)] {
            try session.rows("SELECT id, seq FROM dq.take('q', 1, NULL, false, \(sayDrained))").map { try $0.decode((Int64?, Int64?).self) }
        }
        let first = try take()
        #expect(first.count == 1 && first[0].id != nil)
        try session.run("SELECT dq.put('q', ARRAY['\\x62'::bytea], ARRAY[0]::bigint[], ARRAY[0]::bigint[], ARRAY[''], false, NULL, NULL)")
        let unasked = try take(sayDrained: false)
        #expect(unasked.count == 1 && unasked[0].id != nil)
        let last = try take()
        #expect(last.count == 2 && last[0].id != nil && last[1].id == nil && last[1].due == nil)
        let none = try take()
        #expect(none.count == 1 && none[0].id == nil && none[0].due == nil)
        try session.run("SELECT dq.put('q', ARRAY['\\x63'::bytea], ARRAY[0]::bigint[], ARRAY[60000000]::bigint[], ARRAY[''], false, NULL, NULL)")
        let delayed = try take()
        #expect(delayed.count == 1 && delayed[0].id == nil && (delayed[0].due ?? 0) > 50_000_000)
    }

    @Test("dq.put_one and dq.take_one do what dq.put and dq.take do for one message (a signed id; one row)")
    func singleMessageCalls() throws {
        let db = try PostgresTestServer.freshDatabase()
        _ = try Store.open(db)
        let session = try Self.session(db)
        defer { session.close() }
        func put(_ body: String, priority: Int64 = 0, delay: Int64 = 0, key: String? = nil) throws -> (id: Int64, duplicate: Bool) {
            let rows = try session.rows("""
                SELECT dq.put_one('q', \(ByteBuffer(string: body)), \(priority), \(delay), \(key), false, NULL, NULL)
                """)
            let signed = try #require(rows.first).decode(Int64.self)
            return (abs(signed), signed < 0)
        }
        typealias Taken = (id: Int64?, body: String?, attempt: Int?, waited: Int64?, due: Int64?, drained: Bool)
        func take(sayDrained: Bool = true) throws -> Taken {
            let rows = try session.rows("""
                SELECT id, convert_from(body, 'UTF8'), attempts, waited, next_due, drained FROM dq.take_one('q', NULL, false, \(sayDrained))
                """)
            #expect(rows.count == 1)
            return try #require(rows.first).decode((Int64?, String?, Int?, Int64?, Int64?, Bool).self)
        }
        let a = try put("a", key: "k")
        #expect(a.duplicate == false)
        #expect(try put("again", key: "k") == (a.id, true), "the key is held")
        #expect(try put("empty key is none", key: "").duplicate == false)
        let urgent = try put("urgent", priority: 5)
        #expect(urgent.id > a.id)

        let first = try take()
        #expect(first.id == urgent.id && first.body == "urgent" && first.attempt == 1 && (first.waited ?? -1) >= 0 && !first.drained)
        #expect(try take().body == "a")
        #expect(try put("a2", key: "k").duplicate == false, "the take freed the key")
        #expect(try take(sayDrained: false).body == "empty key is none")
        let last = try take()
        #expect(last.body == "a2" && last.drained, "the take that empties the queue says so")
        let none = try take()
        #expect(none.id == nil && none.due == nil && !none.drained)
        _ = try put("later", delay: 60_000_000)
        let delayed = try take()
        #expect(delayed.id == nil && (delayed.due ?? 0) > 50_000_000 && !delayed.drained)
    }

    @Test("a put notifies its queue only while some other session has noted with dq.listen that it listens; a note ends with its session",
          .timeLimit(.minutes(1)))
    func putsNotifyListenedQueues() throws {
        let (db, putter, listener) = try Self.putterAndListener()
        defer { putter.close(); listener.close() }
        let queue = NotificationChannel.name(for: "q")
        let heard = Mutex<[String]>([])
        for channel in [queue, "control"] {
            _ = listener.connection.addListener(channel: channel) { _, notification in
                heard.withLock { $0.append(notification.channel) }
            }
            try listener.run(PostgresQuery(unsafeSQL: #"LISTEN "\#(channel)""#))
        }
        // Notifications arrive in commit order: once the control one is heard, any
        // notification of the puts before it has been heard too.
        func heardAfterPuts(on session: PostgresSession? = nil, _ puts: (PostgresSession) throws -> Void) throws -> [String] {
            heard.withLock { $0 = [] }
            try puts(session ?? putter)
            try putter.run("NOTIFY control")
            #expect(eventually(timeout: .seconds(20)) { heard.withLock { $0.contains("control") } })
            return heard.withLock { $0.filter { $0 != "control" } }
        }
        func putOne(_ session: PostgresSession) throws {
            try session.run("SELECT dq.put_one('q', '\\x61'::bytea, 0, 0, '', false, NULL, NULL)")
        }
        func putBatch(_ session: PostgresSession) throws {
            try session.run("SELECT * FROM dq.put('q', ARRAY['\\x62'::bytea], ARRAY[0]::bigint[], ARRAY[0]::bigint[], ARRAY[''], false, NULL, NULL)")
        }
        func both(_ session: PostgresSession) throws { try putOne(session); try putBatch(session) }

        #expect(try heardAfterPuts(both) == [], "nobody had noted that it listens")
        try listener.run("SELECT dq.listen('q')")
        #expect(PostgresTestServer.listeners(on: db, channel: "q") == 1)
        #expect(try heardAfterPuts(putOne) == [queue])
        #expect(try heardAfterPuts(putBatch) == [queue])
        #expect(try heardAfterPuts(on: listener, both) == [], "a put is not notified to its own session (its process rings itself)")
        try listener.run("SELECT dq.unlisten('q')")
        #expect(PostgresTestServer.listeners(on: db, channel: "q") == 0)
        #expect(try heardAfterPuts(both) == [])

        // A session that ends without dq.unlisten takes its note with it.
        let gone = try Self.session(db)
        try gone.run("SELECT dq.listen('q')")
        #expect(try heardAfterPuts(putOne) == [queue])
        gone.close()
        #expect(eventually(timeout: .seconds(20)) { PostgresTestServer.listeners(on: db, channel: "q") == 0 })
        #expect(try heardAfterPuts(putOne) == [])
    }

    @Test("a one-entry publish notifies the queue of each group some other session listens on, and no other",
          .timeLimit(.minutes(1)))
    func publishNotifiesListenedGroups() throws {
        let (db, putter, listener) = try Self.putterAndListener()
        defer { putter.close(); listener.close() }
        let stream = try Store.open(db).stream("s")
        let listened = try stream.group("listened").queue.name
        let quiet = try stream.group("quiet").queue.name
        let heard = Mutex<[String]>([])
        for channel in [NotificationChannel.name(for: listened), NotificationChannel.name(for: quiet), "control"] {
            _ = listener.connection.addListener(channel: channel) { _, notification in
                heard.withLock { $0.append(notification.channel) }
            }
            try listener.run(PostgresQuery(unsafeSQL: #"LISTEN "\#(channel)""#))
        }
        try listener.run(PostgresQuery(unsafeSQL: "SELECT dq.listen('\(listened)')"))
        try putter.run("SELECT dq.publish_one('s', '\\x61'::bytea, NULL, 0, NULL, NULL)")
        try putter.run("NOTIFY control")
        #expect(eventually(timeout: .seconds(20)) { heard.withLock { $0.contains("control") } })
        #expect(heard.withLock { $0.filter { $0 != "control" } } == [NotificationChannel.name(for: listened)])
        #expect(try stream.group("listened").get(limit: 5, timeout: .zero).map(\.text) == ["a"])
        #expect(try stream.group("quiet").get(limit: 5, timeout: .zero).map(\.text) == ["a"])
    }

    @Test("dq.listen waits for a put that found no listener until it commits, so the look after it finds the message",
          .timeLimit(.minutes(1)))
    func listenWaitsForPutsInFlight() throws {
        let (db, putter, listener) = try Self.putterAndListener()
        defer { putter.close(); listener.close() }
        try listener.run("SET lock_timeout = '200ms'")
        try putter.run("BEGIN")
        try putter.run("SELECT dq.put_one('q', '\\x61'::bytea, 0, 0, '', false, NULL, NULL)")
        #expect(throws: PostgresFailure.self, "the put in flight holds dq.listen off") { try listener.run("SELECT dq.listen('q')") }
        #expect(PostgresTestServer.listeners(on: db, channel: "q") == 0)
        try listener.run("SELECT dq.listen('other')")
        try putter.run("COMMIT")
        try listener.run("SELECT dq.listen('q')")
        #expect(PostgresTestServer.listeners(on: db, channel: "q") == 1)
        #expect(try listener.rows("SELECT count(*) FROM dq.messages WHERE queue = 'q'").first.map { try PostgresEngine.decode($0, as: Int.self) } == 1)
    }

    @Test("dq drop, and dq.drop_queue (a group's or a stream's removal), delete the queue's traffic and delivery counts",
          .timeLimit(.minutes(1)))
    func dropDeletesCounts() throws {
        let db = try PostgresTestServer.freshDatabase()
        for queue in ["a", "b"] {
            #expect(try dq(["put", queue, "x", "--db", db]).status == 0)
            #expect(try dq(["get", queue, "--db", db]).stdoutText == "x\n")
        }
        func rows(_ table: String, _ queue: String) -> Int {
            PostgresTestServer.count("SELECT count(*) FROM dq.\(table) WHERE queue = '\(queue)'", on: db)
        }
        // One-shot commands write their counts as they go.
        for queue in ["a", "b"] { #expect(rows("traffic", queue) > 0 && rows("deliveries", queue) > 0, "\(queue)") }
        #expect(try dq(["drop", "a", "--db", db]).status == 0)
        #expect(rows("traffic", "a") == 0 && rows("deliveries", "a") == 0)
        #expect(PostgresTestServer.count("SELECT count(*) FROM (SELECT dq.drop_queue('b')) d", on: db) == 1)
        #expect(rows("traffic", "b") == 0 && rows("deliveries", "b") == 0)
    }

    @Test("every connection of a store starts with lock_timeout = its busy timeout, enable_seqscan = off, and synchronous_commit = on with durability full")
    func sessionSettings() throws {
        let db = try PostgresTestServer.freshDatabase()
        let session = try Self.session(db)
        defer { session.close() }
        try session.run(PostgresQuery(unsafeSQL: "ALTER DATABASE \"\(try PostgresAddress(db).database)\" SET synchronous_commit = off"))
        func settings(_ options: StoreOptions) throws -> (lockTimeout: String?, synchronousCommit: String?, seqScan: String?) {
            let engine = try #require(try Store.open(db, options: options).engine as? PostgresEngine)
            return (try engine.scalar("SHOW lock_timeout", as: String.self),
                    try engine.scalar("SHOW synchronous_commit", as: String.self),
                    try engine.scalar("SHOW enable_seqscan", as: String.self))
        }
        let normal = try settings(StoreOptions(busyTimeout: .seconds(3)))
        #expect(normal.lockTimeout == "3s" && normal.synchronousCommit == "off" && normal.seqScan == "off", "\(normal)")
        let full = try settings(StoreOptions(durability: .full))
        #expect(full.lockTimeout == "10s" && full.synchronousCommit == "on" && full.seqScan == "off", "\(full)")
    }
}
