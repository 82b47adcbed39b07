import CSQLite
import Foundation
import Testing
@testable import DurableQueue

@Suite("Store files and schema")
struct StoreTests {
    let directory = TemporaryDirectory()

    func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test("missing parent directories are created; the file is 0600 and in WAL mode")
    func createsFile() throws {
        let path = directory.file("a/b/c/store.db")
        let store = try Store(path: path)
        try store.queue("q").put("x")
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(stat(path + "-wal", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(stat(directory.file("a/b"), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        let mode = try store.sqlite.withConnection { try $0.scalarText("PRAGMA journal_mode") }
        #expect(mode == "wal")
        let version = try store.sqlite.withConnection { try $0.scalarInt("PRAGMA user_version") }
        #expect(version == Schema.currentVersion)
    }

    @Test("a closing store leaves a short write-ahead log for the next process, and removes a long one")
    func logKeptShort() throws {
        let path = directory.file("log.db")
        #expect(try dq(["put", "q", "small", "--db", path]).status == 0)
        let kept = StoreLocation.fileSize(path + "-wal")
        #expect(kept > 0 && kept < SQLiteEngine.keptLogBytes, "the log is kept: \(kept) bytes")
        #expect(try dq(["get", "q", "--db", path]).stdoutText == "small\n", "the next process reads it")
        // One message longer than the log that is kept: its store empties the log on closing.
        let large = Data(repeating: 0x61, count: Int(SQLiteEngine.keptLogBytes) + 4_096)
        #expect(try dq(["put", "q", "--db", path], stdin: large).status == 0)
        #expect(StoreLocation.fileSize(path + "-wal") == 0)
        #expect(StoreLocation.fileSize(path) > SQLiteEngine.keptLogBytes, "the message is in the database file")
        #expect(try dq(["get", "q", "--raw", "--db", path]).stdout == large)
    }

    @Test("a long log is left alone while another process has the store open, and removed by the last to close it")
    func logLeftToLastCloser() throws {
        let path = directory.file("shared.db")
        var store: Store? = try Store(path: path)
        let large = Data(repeating: 0x61, count: Int(SQLiteEngine.keptLogBytes) + 4_096)
        #expect(try dq(["put", "q", "--db", path], stdin: large).status == 0)
        // A one-shot process is not the last: it waits for no reader and leaves the log.
        #expect(StoreLocation.fileSize(path + "-wal") > SQLiteEngine.keptLogBytes)
        #expect(try store?.queue("q").get(timeout: .zero)?.body == large)
        store = nil
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the last to close checkpointed and removed it")
    }

    @Test("the default path honours DQ_DB, then XDG_DATA_HOME, then HOME")
    func defaultPath() {
        #expect(StoreLocation.defaultPath(environment: ["DQ_DB": "/x/y.db", "HOME": "/h"]) == "/x/y.db")
        #expect(StoreLocation.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/h"]) == "/data/dq/default.db")
        #expect(StoreLocation.defaultPath(environment: ["HOME": "/h"]) == "/h/.local/share/dq/default.db")
        #expect(StoreLocation.defaultPath(environment: ["DQ_DB": "", "XDG_DATA_HOME": "relative", "HOME": "/h"]) == "/h/.local/share/dq/default.db")
    }

    @Test("a file that is not SQLite is refused and left byte-identical")
    func foreignFile() throws {
        let path = directory.file("notes.txt")
        let original = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        #expect(FileManager.default.createFile(atPath: path, contents: original))
        let error = #expect(throws: DQError.self) { try Store(path: path) }
        #expect(error?.kind == .badStore)
        #expect(bytes(path) == original)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test("another application's SQLite database is refused and left unchanged")
    func otherApplication() throws {
        let path = directory.file("other.db")
        do {
            let connection = try Connection(path: path, create: true)
            try connection.execute("CREATE TABLE notes (text); INSERT INTO notes VALUES ('keep me')")
        }
        let original = bytes(path)
        let error = #expect(throws: DQError.self) { try Store(path: path) }
        #expect(error?.kind == .badStore)
        #expect(error?.message.contains("another application") == true)
        #expect(bytes(path) == original)
    }

    @Test("a store written by a newer dq is refused with a clear message")
    func newerSchema() throws {
        let path = directory.file("store.db")
        _ = try Store(path: path)
        do {
            let connection = try Connection(path: path, create: false)
            try connection.execute("PRAGMA user_version = \(Schema.currentVersion + 1)")
        }
        let error = #expect(throws: DQError.self) { try Store(path: path) }
        #expect(error?.kind == .badStore)
        #expect(error?.message.contains("newer dq") == true)
    }

    @Test("an older schema is migrated in one transaction: a failing step leaves it as it was")
    func migration() throws {
        let path = directory.file("store.db")
        let v1 = Migration(version: 1, steps: .sql("CREATE TABLE a (x)"))
        let brokenV2 = Migration(version: 2, steps: .sql("CREATE TABLE b (x)"), .swift { try $0.execute("INSERT INTO nowhere VALUES (1)") })
        let v2 = Migration(version: 2, steps: .sql("CREATE TABLE b (x)"), .swift { try $0.execute("INSERT INTO a VALUES (1)") })
        let connection = try Connection(path: path, create: true)
        try Migrator(migrations: [v1], applicationID: 42).prepare(connection) {}
        #expect(try connection.scalarInt("PRAGMA user_version") == 1)

        #expect(throws: SQLiteError.self) {
            try Migrator(migrations: [v1, brokenV2], applicationID: 42).prepare(connection) {}
        }
        #expect(try connection.scalarInt("PRAGMA user_version") == 1)
        #expect(try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'b'") == 0)

        try Migrator(migrations: [v1, v2], applicationID: 42).prepare(connection) {}
        #expect(try connection.scalarInt("PRAGMA user_version") == 2)
        #expect(try connection.scalarInt("SELECT count(*) FROM a") == 1)
    }

    @Test("a new store uses incremental auto-vacuum, so space can be returned later")
    func autoVacuum() throws {
        let store = try Store(path: directory.file("store.db"))
        #expect(try store.sqlite.withConnection { try $0.scalarInt("PRAGMA auto_vacuum") } == 2)
    }

    @Test("receiving is seeks: no scan, no sort, no temporary b-tree")
    func receivePlan() throws {
        let store = try Store(path: directory.file("store.db"))
        try store.queue("q").put("x")
        for sql in [Lanes.allSQL, MessageTable.readySQL, MessageTable.deleteSQL].map(\.text) {
            let plan = try store.sqlite.withConnection { connection in
                let explain = try connection.cachedStatement("EXPLAIN QUERY PLAN " + sql)
                var details: [String] = []
                while try explain.step() { details.append(explain.string(at: 3) ?? "") }
                return details
            }
            #expect(plan.contains { $0.hasPrefix("SEARCH ") }, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        }
    }

    @Test("receiving does the same work with 100 or 20,000 messages waiting, and 10,000 other queues")
    func receiveCostIndependentOfBacklog() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        // Other queues' backlogs must not matter either.
        try store.queue("other").put(contentsOf: (0..<5_000).map { OutgoingMessage("o\($0)") })
        try queue.put(contentsOf: (0..<100).map { OutgoingMessage("m\($0)") })
        func stepsForOneReceive() throws -> (vm: Int32, fullScan: Int32, sort: Int32) {
            try store.sqlite.write { connection in
                let statements = connection.preparedStatements
                for statement in statements {
                    for counter in [SQLITE_STMTSTATUS_VM_STEP, SQLITE_STMTSTATUS_FULLSCAN_STEP, SQLITE_STMTSTATUS_SORT] {
                        _ = sqlite3_stmt_status(statement.handle, counter, 1)
                    }
                }
                let taken = try MessageTable.removeNext(connection, queue: "q", limit: 1, now: Timestamp.now(),
                                                        drained: store.sqlite.drainedLanes)
                #expect(taken.count == 1)
                // Statements this connection prepared during the receive count from zero.
                func total(_ counter: Int32) -> Int32 {
                    connection.preparedStatements.map { sqlite3_stmt_status($0.handle, counter, 0) }.reduce(0, +)
                }
                return (total(SQLITE_STMTSTATUS_VM_STEP), total(SQLITE_STMTSTATUS_FULLSCAN_STEP), total(SQLITE_STMTSTATUS_SORT))
            }
        }
        _ = try stepsForOneReceive()  // prepares the statements
        let small = try stepsForOneReceive()
        try queue.put(contentsOf: (0..<20_000).map { OutgoingMessage("m\($0)") })
        for index in 0..<10_000 { try store.queue("other-\(index)").put("x") }
        let large = try stepsForOneReceive()
        #expect(small.fullScan == 0 && large.fullScan == 0)
        #expect(small.sort == 0 && large.sort == 0)
        #expect(large.vm == small.vm)
    }

    @Test("an ack frees its message's dedup key with a seek: the same work with 10 or 10,000 keyed messages waiting")
    func keyedAckCostIndependentOfKeys() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        func put(_ count: Int, from first: Int) throws {
            try queue.put(contentsOf: (first..<first + count).map { OutgoingMessage("m\($0)", key: "k\($0)") })
        }
        /// VM steps of acking one keyed message; its key is free afterwards.
        func stepsForOneAck() throws -> Int32 {
            let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
            let steps = try store.sqlite.write { connection in
                for statement in connection.preparedStatements { _ = sqlite3_stmt_status(statement.handle, SQLITE_STMTSTATUS_VM_STEP, 1) }
                let acked = try MessageTable.ack(connection, queue: "q", receipt: leased.receipt, drained: store.sqlite.drainedLanes)
                #expect(acked)
                return connection.preparedStatements.map { sqlite3_stmt_status($0.handle, SQLITE_STMTSTATUS_VM_STEP, 0) }.reduce(0, +)
            }
            let key = "k" + (leased.message.text ?? "").dropFirst()
            #expect(try !queue.put("again", key: key).duplicate)
            return steps
        }
        try put(10, from: 0)
        _ = try stepsForOneAck()  // prepares the statements
        let few = try stepsForOneAck()
        try put(10_000, from: 10)
        let many = try stepsForOneAck()
        #expect(many == few, "VM steps per keyed ack: \(few) with 10 keys, \(many) with 10,000")
    }

    @Test("a put appends to one b-tree: about one WAL page per commit, like a bare insert")
    func putWritesOnePage() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        try queue.put("first")  // makes the lane
        let framesPerCommit = try store.sqlite.withConnection { connection -> Double in
            final class Frames { var totals: [Int32] = [] }
            let frames = Frames()
            let context = Unmanaged.passUnretained(frames).toOpaque()
            sqlite3_wal_hook(connection.handle, { context, _, _, pages in
                Unmanaged<Frames>.fromOpaque(context!).takeUnretainedValue().totals.append(pages)
                return SQLITE_OK
            }, context)
            defer { sqlite3_wal_hook(connection.handle, nil, nil) }
            var inserter = MessageTable.Inserter(connection, queue: "q", now: 0)
            for index in 0..<500 {
                try connection.transaction(.immediate) {
                    inserter = MessageTable.Inserter(connection, queue: "q", now: Int64(index))
                    _ = try inserter.insert(OutgoingMessage(Data(repeating: 7, count: 100)))
                    try inserter.finish()
                }
            }
            let totals = frames.totals
            guard let first = totals.first, let last = totals.last, totals.count > 1 else { return 0 }
            return Double(last - first) / Double(totals.count - 1)
        }
        // An index or a sequence table would add a page to every commit (2.0 and up).
        #expect(framesPerCommit > 0.5 && framesPerCommit < 1.2, "\(framesPerCommit) WAL frames per put")
    }

    @Test("checkpoints keep the WAL bounded: 6,000 one-page commits never grow it to 3,000 pages")
    func walStaysBounded() throws {
        let path = directory.file("store.db")
        let queue = try Store(path: path).queue("q")
        var largest: Int64 = 0
        for index in 0..<6_000 {
            try queue.put("message \(index)")
            if index % 500 == 0 { largest = max(largest, StoreLocation.fileSize(path + "-wal")) }
        }
        largest = max(largest, StoreLocation.fileSize(path + "-wal"))
        let frame = Int64(4_096 + 24)
        #expect(largest > 0)
        // The inline backstop starts at 2,000 pages; a checkpoint already running can
        // let the log pass that a little before it restarts.
        #expect(largest < Int64(Checkpointer.inlinePages + 1_000) * frame, "WAL reached \(largest / frame) frames")
    }

    @Test("--sync full fsyncs every commit but leases, acks and extends")
    func fullDurabilityPerCommit() throws {
        let store = try Store(path: directory.file("store.db"), options: StoreOptions(durability: .full))
        let queue = try store.queue("q")
        // One thread, so the pool hands back the same connection every time.
        func synchronous() throws -> Int64? { try store.sqlite.withConnection { try $0.scalarInt("PRAGMA synchronous") } }
        try queue.put("a")
        #expect(try synchronous() == 2, "FULL after a put")
        _ = try queue.get(timeout: .zero)
        #expect(try synchronous() == 2, "FULL after a get: at-most-once survives power loss")
        try queue.put("b")
        let leased = try queue.receive(lease: .seconds(30), limit: 1, timeout: .zero)
        #expect(try synchronous() == 1, "NORMAL after a lease")
        try queue.extend(leased[0].receipt, by: .seconds(60))
        #expect(try synchronous() == 1, "NORMAL after an extend")
        try queue.nack(leased[0].receipt)
        #expect(try synchronous() == 2, "FULL after a nack: it puts a message back")
        try store.dict("d").set("k", "v")
        #expect(try synchronous() == 2, "FULL for shared state")
        let normal = try Store(path: directory.file("other.db"))
        try normal.queue("q").put("x")
        #expect(try normal.sqlite.withConnection { try $0.scalarInt("PRAGMA synchronous") } == 1)
    }

    @Test("puts that take turns between queues, or follow a drain, on one connection land in their own queues in order")
    func putsInTurnKeepTheirLanes() throws {
        let store = try Store(path: directory.file("store.db"))
        let a = try store.queue("a"), b = try store.queue("b"), c = try store.queue("c")
        // b's lane is above a's: once b has rows, the end of the table a's puts knew is stale.
        for round in 0..<3 {
            try a.put("a\(round)")
            try b.put("b\(round)")
        }
        // c's lane is the top one; draining it moves the table's end back below c's tail.
        try c.put("c0")
        try c.put("c1")
        #expect(try c.get(limit: 10, timeout: .zero).map(\.text) == ["c0", "c1"])
        try c.put("c2")
        try a.put("a3")
        #expect(try a.get(limit: 10, timeout: .zero).map(\.text) == ["a0", "a1", "a2", "a3"])
        #expect(try b.get(limit: 10, timeout: .zero).map(\.text) == ["b0", "b1", "b2"])
        #expect(try c.get(limit: 10, timeout: .zero).map(\.text) == ["c2"])
    }

    @Test("a lane another connection adds is seen by one that already knew the queue's lanes")
    func laneCacheFollowsTheSchema() throws {
        let path = directory.file("store.db")
        let reader = try Store(path: path).queue("q")
        let writer = try Store(path: path).queue("q")
        try writer.put("first")
        #expect(try reader.get(timeout: .zero)?.text == "first")  // the reader now knows lane 0
        try writer.put("low")
        try writer.put("high", priority: 7)  // a new lane, made by the other store
        #expect(try reader.get(limit: 2, timeout: .zero).map(\.text) == ["high", "low"])
    }
}
