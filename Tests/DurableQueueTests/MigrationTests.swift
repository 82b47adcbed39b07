import Foundation
import Testing
@testable import DurableQueue

@Suite("Migrating stores made by earlier versions")
struct MigrationTests {
    let directory = TemporaryDirectory()

    /// A copy of a fixture store file (Tests/DurableQueueTests/Fixtures).
    func fixture(_ name: String) throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name)
        let copy = directory.file("store.db")
        try FileManager.default.copyItem(atPath: source.path, toPath: copy)
        return copy
    }

    @Test("a version-1 store (a table per lane) opens migrated in one step: messages, order, keys, leases, dead letters and shared state kept")
    func fromLaneTables() throws {
        let path = try fixture("store-v1.db")
        let store = try Store(path: path)
        let (version, laneTables, lanes) = try store.sqlite.withConnection { connection in
            (try connection.scalarInt("PRAGMA user_version"),
             try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'lane%\\_%' ESCAPE '\\'"),
             try connection.scalarInt("SELECT count(*) FROM lanes"))
        }
        #expect(version == Schema.currentVersion)
        #expect(laneTables == 0, "no lane_<n> table and no lanes_v1 left")
        #expect(lanes == 5)
        let stats = Dictionary(uniqueKeysWithValues: try store.stats().queues.map { ($0.name, $0) })
        #expect(stats.keys.sorted() == ["jobs", "leaseq", "neg", "other"])
        #expect(stats["jobs"]?.ready == 6 && stats["jobs"]?.delayed == 1)
        #expect(stats["leaseq"]?.leased == 1 && stats["leaseq"]?.dead == 1)

        let jobs = try store.queue("jobs")
        // The dedup key still holds its message.
        let again = try jobs.put("keyed again", key: "k1")
        #expect(again.duplicate)
        // Priority first, then the order they were put in.
        let taken = try jobs.get(limit: 10, timeout: .zero)
        #expect(taken.map { String(decoding: $0.body, as: UTF8.self) } == ["urgent-1", "urgent-2", "first", "second", "keyed", "bin\0ary"])
        #expect(taken.map(\.priority) == [5, 5, 0, 0, 0, 0])
        #expect(zip(taken.dropFirst(3), taken.dropFirst(4)).allSatisfy { $0.id < $1.id }, "ids still increase")
        #expect(try jobs.put("keyed again", key: "k1").duplicate == false, "the key went with its message")
        let next = try #require(try jobs.get(timeout: .zero))
        #expect(next.id > taken.map(\.id).max()!, "a new put's id is above the migrated ones")
        #expect(try store.queue("neg").get(timeout: .zero)?.priority == -3)
        #expect(try store.queue("leaseq").deadLetters().map(\.text) == ["D1"])

        #expect(try store.dict("cfg").get("mode") == Data("fast".utf8))
        #expect(try store.list("todo").items() == [Data("a".utf8), Data("b".utf8)])
        #expect(try store.counter("hits").get() == 41)
        #expect(try store.event("ready").isSet())
    }

    @Test("a store goes on after migrating on a connection without a TEMP database (a rename opens one, and every write then began one)")
    func noTempDatabaseAfterMigrating() throws {
        for path in [try fixture("store-v2.db"), directory.file("new.db")] {
            let store = try Store(path: path)
            try store.queue("jobs").put("a")
            let temp = try store.sqlite.withConnection { $0.hasTempDatabase }
            #expect(!temp, "\(path)")
        }
    }

    @Test("a version-2 store opens migrated: its dead letters keep body, attempts and time of death, with no reason recorded")
    func fromVersion2() throws {
        let path = try fixture("store-v2.db")
        let store = try Store(path: path)
        let version = try store.sqlite.withConnection { try $0.scalarInt("PRAGMA user_version") }
        #expect(version == Schema.currentVersion)
        let dead = try store.queue("poison").deadLetters()
        #expect(dead.map(\.text) == ["P1", "P2"])
        #expect(dead.map(\.attempt) == [1, 1])
        #expect(dead.allSatisfy { $0.lastError == nil && $0.exitStatus == nil && $0.signal == nil })
        // The fixture was made on 2026-12-02 (make-store-v2.sh).
        #expect(dead.allSatisfy { $0.deadAt > $0.enqueuedAt && $0.deadAt.timeIntervalSince1970 > 1_796_000_000 })
        #expect(try store.queue("jobs").get(limit: 5, timeout: .zero).map(\.text) == ["ready-1", "ready-2"])
        // A message buried now records its reason in the migrated table.
        let queue = try store.queue("poison")
        try queue.put("P3")
        let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        try queue.nack(leased.receipt, maxAttempts: 1, failure: DeliveryFailure("exit status 2", exitStatus: 2))
        #expect(try queue.deadLetters().last?.lastError == "exit status 2")
    }

    @Test("the migration is one transaction: a store it cannot finish stays at version 1, untouched")
    func failedMigrationLeavesVersion1() throws {
        let path = try fixture("store-v1.db")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // A lane number too large for the new layout makes the migration's Swift step fail.
        do {
            let connection = try Connection(path: path, create: false)
            try connection.execute("UPDATE lanes SET id = \(Lane.numberLimit) WHERE id = 5; ALTER TABLE lane_5 RENAME TO lane_\(Lane.numberLimit)")
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let edited = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(edited != before)
        let error = #expect(throws: DQError.self) { try Store(path: path) }
        #expect(error?.kind == .badStore)
        let connection = try Connection(path: path, create: false)
        #expect(try connection.scalarInt("PRAGMA user_version") == 1)
        #expect(try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE name = 'messages'") == 0)
        #expect(try connection.scalarInt("SELECT count(*) FROM lane_1") == 4)
    }
}
