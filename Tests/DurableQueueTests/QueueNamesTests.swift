import CSQLite
import Foundation
import Testing
@testable import DurableQueue

@Suite("Queue names cost nothing")
struct QueueNamesTests {
    let directory = TemporaryDirectory()

    func count(_ store: Store, _ sql: String) throws -> Int64? {
        try store.sqlite.withConnection { try $0.scalarInt(sql) }
    }

    @Test("2,000 queues used once and drained leave no row, no table, and are not listed")
    func drainedQueuesLeaveNothing() throws {
        let path = directory.file("store.db")
        let fresh = try count(Store(path: directory.file("fresh.db")), "SELECT count(*) FROM sqlite_schema")
        do {
            let store = try Store(path: path)
            for index in 0..<2_000 { try store.queue("reply-\(index)").put("answer \(index)") }
            #expect(try store.stats().queues.count == 2_000)
            #expect(try count(store, "SELECT count(*) FROM lanes") == 2_000)
            for index in 0..<2_000 {
                #expect(try store.queue("reply-\(index)").get(timeout: .zero)?.text == "answer \(index)")
            }
            #expect(try store.stats().queues.isEmpty, "drained queues are not listed")
        }
        // Closing deleted the lanes this process drained.
        let store = try Store(path: path)
        #expect(try count(store, "SELECT count(*) FROM lanes") == 0)
        #expect(try count(store, "SELECT count(*) FROM messages") == 0)
        #expect(try count(store, "SELECT count(*) FROM sqlite_schema") == fresh, "no schema object per queue")
    }

    @Test("a purged queue leaves no lane at once")
    func purgeLeavesNothing() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        try queue.put("a", priority: 1)
        try queue.put("b")
        try queue.put("c", delay: .seconds(60))
        #expect(try queue.purge() == 3)
        #expect(try count(store, "SELECT count(*) FROM lanes") == 0)
        #expect(try store.stats().queues.isEmpty)
    }

    @Test("housekeeping deletes empty lanes nobody noted, such as those of a process killed after draining")
    func sweepFindsForgottenLanes() throws {
        let store = try Store(path: directory.file("store.db"))
        try store.queue("kept").put("x")
        try store.sqlite.write { connection in
            for number in [7, 8, 9] as [Int64] {
                try connection.execute("INSERT INTO lanes (lane, queue, priority, generation) VALUES (\(number), 'gone-\(number)', 0, 0)")
            }
        }
        #expect(try count(store, "SELECT count(*) FROM lanes") == 4)
        try store.sqlite.tidyUp()
        #expect(try count(store, "SELECT count(*) FROM lanes") == 1, "only the lane that holds a message is left")
        #expect(try store.queue("kept").get(timeout: .zero)?.text == "x")
    }

    @Test("a lane whose positions run out continues in a new one, in order")
    func fullLaneContinues() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        try queue.put("a")
        // Move "a" next to the lane's last position, as if 2^39 messages had gone through it.
        try store.sqlite.write { connection in
            let number = try #require(try connection.scalarInt("SELECT lane FROM lanes WHERE queue = 'q'"))
            let lane = Lane(number: number, priority: 0, generation: 0)
            try connection.execute("UPDATE messages SET position = \(lane.last - 1) WHERE position = \(lane.first)")
        }
        // "b" takes the last position, "c" the first of a new lane, in the same batch.
        try queue.put(contentsOf: [OutgoingMessage("b"), OutgoingMessage("c")])
        try queue.put("d")
        #expect(try count(store, "SELECT count(*) FROM lanes WHERE queue = 'q'") == 2)
        #expect(try count(store, "SELECT max(generation) FROM lanes WHERE queue = 'q'") == 1)
        #expect(try queue.peek(limit: 10).map(\.text) == ["a", "b", "c", "d"])
        #expect(try queue.get(limit: 10, timeout: .zero).map(\.text) == ["a", "b", "c", "d"])
        _ = try store.sqlite.drainedLanes.sweep(store.sqlite)
        #expect(try count(store, "SELECT count(*) FROM lanes") == 0)
    }

    @Test("a put does the same work with one queue in the store or 10,000")
    func putCostIndependentOfQueueCount() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        try queue.put("first")
        func stepsForOnePut() throws -> Int32 {
            try store.sqlite.write { connection in
                for statement in connection.preparedStatements { _ = sqlite3_stmt_status(statement.handle, SQLITE_STMTSTATUS_VM_STEP, 1) }
                var inserter = MessageTable.Inserter(connection, queue: "q", now: Timestamp.now())
                _ = try inserter.insert(OutgoingMessage("x"))
                try inserter.finish()
                return connection.preparedStatements.map { sqlite3_stmt_status($0.handle, SQLITE_STMTSTATUS_VM_STEP, 0) }.reduce(0, +)
            }
        }
        _ = try stepsForOnePut()
        let few = try stepsForOnePut()
        try store.sqlite.write { connection in
            var inserter = MessageTable.Inserter(connection, queue: "other", now: Timestamp.now())
            for index in 0..<10_000 {
                inserter = MessageTable.Inserter(connection, queue: "other-\(index)", now: Timestamp.now())
                _ = try inserter.insert(OutgoingMessage("o"))
                try inserter.finish()
            }
        }
        #expect(try count(store, "SELECT count(*) FROM lanes") == 10_001)
        let many = try stepsForOnePut()
        #expect(many == few, "VM steps per put: \(few) with one queue, \(many) with 10,001")
    }
}
