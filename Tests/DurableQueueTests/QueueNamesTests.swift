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
        // Closing deleted the lanes this process drained: when its last reference goes,
        // which may be a background checkpoint of the closed store finishing a moment later.
        let store = try Store(path: path)
        #expect(eventually(timeout: .seconds(10)) { (try? count(store, "SELECT count(*) FROM lanes")) == 0 })
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

    @Test("more drained lanes than one compaction of the noted list holds are all deleted by the sweep, none twice")
    func manyDrainedLanesSwept() throws {
        let store = try Store(path: directory.file("store.db"))
        let names = (0..<4_500).map { "q\($0)" }
        for name in names { try store.queue(name).put("x") }
        for name in names.prefix(10) { try store.queue(name).put("y") }
        // Each take notes its lane; the list is compacted at 4,096. The first ten lanes are
        // noted twice, apart. (No get finds a queue empty: that would start the sweep on
        // a background thread.)
        for name in names { #expect(try store.queue(name).get(timeout: .zero)?.text == "x") }
        for name in names.prefix(10) { #expect(try store.queue(name).get(timeout: .zero)?.text == "y") }
        #expect(try count(store, "SELECT count(*) FROM lanes") == 4_500)
        #expect(try store.sqlite.drainedLanes.sweep(store.sqlite, visits: 0) == 4_500)
        #expect(try count(store, "SELECT count(*) FROM lanes") == 0)
        #expect(store.sqlite.drainedLanes.isEmpty)
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

    @Test("a lane filled to its last position continues in a new one, for a put that reads its end or knows it")
    func filledLaneContinues() throws {
        let path = directory.file("store.db")
        let store = try Store(path: path)
        /// Puts "a" next to the lane's last position and "b" at it: the lane is full.
        func fill(_ queue: Queue) throws {
            try queue.put("a")
            try store.sqlite.write { connection in
                let number = try #require(try connection.scalarInt("SELECT lane FROM lanes WHERE queue = '\(queue.name)'"))
                let lane = Lane(number: number, priority: 0, generation: 0)
                try connection.execute("UPDATE messages SET position = \(lane.last - 1) WHERE position = \(lane.first)")
            }
            try queue.put("b")
            #expect(try count(store, "SELECT count(*) FROM lanes WHERE queue = '\(queue.name)'") == 1)
        }
        let known = try store.queue("known")
        try fill(known)
        try known.put("c")  // knows the full end from its own put
        let read = try store.queue("read")
        try fill(read)
        try Store(path: path).queue("read").put("c")  // another store reads the full end
        try read.put("d", delay: .milliseconds(1))
        Thread.sleep(forTimeInterval: 0.01)
        for (queue, texts) in [(known, ["a", "b", "c"]), (read, ["a", "b", "c", "d"])] {
            #expect(try count(store, "SELECT max(generation) FROM lanes WHERE queue = '\(queue.name)'") == 1)
            #expect(try queue.get(limit: 10, timeout: .zero).map(\.text) == texts)
        }
    }

    @Test("a put does the same work with two queues in the store or 10,000 (its lane's end known or read)")
    func putCostIndependentOfQueueCount() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        try queue.put("first")
        // A lane above q's, as the 10,000 below will be: q's puts are not at the end of
        // `messages`, where SQLite would number the row itself (another path, one VM step more).
        try store.queue("above").put("x")
        /// VM steps of one put; `cold`: with the lane's end read from the store, not known.
        func stepsForOnePut(cold: Bool) throws -> Int32 {
            try store.sqlite.write { connection in
                if cold { connection.attachment { KnownTails() }.tails.removeAll() }
                for statement in connection.preparedStatements { _ = sqlite3_stmt_status(statement.handle, SQLITE_STMTSTATUS_VM_STEP, 1) }
                var inserter = MessageTable.Inserter(connection, queue: "q", now: Timestamp.now())
                _ = try inserter.insert(OutgoingMessage("x"))
                try inserter.finish()
                return connection.preparedStatements.map { sqlite3_stmt_status($0.handle, SQLITE_STMTSTATUS_VM_STEP, 0) }.reduce(0, +)
            }
        }
        _ = try stepsForOnePut(cold: true)
        let (fewCold, fewWarm) = (try stepsForOnePut(cold: true), try stepsForOnePut(cold: false))
        try store.sqlite.write { connection in
            for index in 0..<10_000 {
                var inserter = MessageTable.Inserter(connection, queue: "other-\(index)", now: Timestamp.now())
                _ = try inserter.insert(OutgoingMessage("o"))
                try inserter.finish()
            }
        }
        #expect(try count(store, "SELECT count(*) FROM lanes") == 10_002)
        let (manyCold, manyWarm) = (try stepsForOnePut(cold: true), try stepsForOnePut(cold: false))
        #expect(manyCold == fewCold, "VM steps per put, lane end read: \(fewCold) with two queues, \(manyCold) with 10,002")
        #expect(manyWarm == fewWarm, "VM steps per put, lane end known: \(fewWarm) with two queues, \(manyWarm) with 10,002")
        #expect(fewWarm < fewCold, "a known lane end saves reading it")
    }

    @Test("a known lane end is not trusted once anyone else committed, nor after a rollback")
    func knownTailsStayCorrect() throws {
        let path = directory.file("store.db")
        let first = try Store(path: path)
        let second = try Store(path: path)
        // Another store (another process) puts in between: its message keeps its place.
        try first.queue("q").put("a1")
        try second.queue("q").put("b1")
        try first.queue("q").put("a2")
        #expect(try first.queue("q").peek(limit: 5).map(\.text) == ["a1", "b1", "a2"])

        // The lane drained and deleted by this process's own housekeeping: the next put
        // opens a new lane rather than writing into the deleted one.
        #expect(try first.queue("q").get(limit: 5, timeout: .zero).count == 3)
        _ = try first.sqlite.drainedLanes.sweep(first.sqlite)
        #expect(try count(first, "SELECT count(*) FROM lanes") == 0)
        try first.queue("other").put("o")  // may take the deleted lane's number
        try first.queue("q").put("after")
        #expect(try first.queue("q").peek(limit: 5).map(\.text) == ["after"])
        #expect(try first.queue("other").peek(limit: 5).map(\.text) == ["o"])

        // A put that rolls back after opening a lane leaves nothing known about it.
        struct Abort: Error {}
        #expect(throws: DQError.self) {  // the store reports the body's error as a DQError
            try first.sqlite.write { connection in
                var inserter = MessageTable.Inserter(connection, queue: "fresh", now: Timestamp.now())
                _ = try inserter.insert(OutgoingMessage("lost"))
                try inserter.finish()
                throw Abort()
            }
        }
        try first.counter("c").add()  // the next commit on that connection
        try first.queue("fresh").put("kept")
        #expect(try first.queue("fresh").get(limit: 5, timeout: .zero).map(\.text) == ["kept"])
        #expect(try count(first, "SELECT count(*) FROM lanes WHERE queue = 'fresh'") == 1)
    }
}
