import CSQLite
import Foundation
import Testing
@testable import DurableQueue

/// The library's queue administration: `Store.queues()`, `Queue.drop()`, `message(id:)`,
/// `delete(ids:)`, `retryDead(ids:)`, `move(to:limit:dead:)`, `messages` and `follow`,
/// against every engine; the follow tests that watch the doorbell are SQLite's.
@Suite("Queue admin")
struct QueueAdminTests {
    let directory = TemporaryDirectory()
    var path: String { directory.file("store.db") }

    /// Puts `body` and makes it a dead letter (one delivery allowed, nacked).
    func bury(_ body: String, in queue: Queue) throws -> Int64 {
        let id = try queue.put(body).id
        let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(leased.message.id == id)
        try queue.nack(leased.receipt, maxAttempts: 1)
        return id
    }

    @Test("queues() lists each queue holding anything, with its counts, sorted by name", arguments: EngineUnderTest.allCases)
    func queuesList(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        #expect(try store.queues().isEmpty)
        try store.queue("b").put("ready")
        try store.queue("b").put("later", delay: .seconds(3600))
        try store.queue("a").put("leased")
        _ = try store.queue("a").receive(lease: .seconds(60), timeout: .zero)
        _ = try bury("dead", in: try store.queue("c"))
        let queues = try store.queues()
        #expect(queues.map(\.name) == ["a", "b", "c"])
        #expect(queues.map { [$0.ready, $0.delayed, $0.leased, $0.dead] } == [[0, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]])
    }

    @Test("drop() deletes messages in every state, dead letters and dedup keys; the queue is gone from stats", arguments: EngineUnderTest.allCases)
    func drop(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let queue = try store.queue("q")
        try queue.put("ready", key: "k")
        try queue.put("later", delay: .seconds(3600), key: "d")
        try queue.put("leased")
        try queue.put("dead")
        let leased = try queue.receive(lease: .seconds(60), limit: 3, timeout: .zero)
        try queue.nack(leased[2].receipt, maxAttempts: 1)
        try store.queue("other").put("stays")
        #expect(try queue.drop() == 4)
        #expect(try store.queues().map(\.name) == ["other"])
        #expect(try store.stats().queues.map(\.name) == ["other"])
        #expect(try queue.put("again", key: "k").duplicate == false, "the key is free")
        #expect(try queue.put("again", key: "d").duplicate == false)
        #expect(throws: DQError.self) { try queue.ack(leased[1].receipt) }
        #expect(try store.queue("nothing").drop() == 0)
    }

    @Test("message(id:) finds a message in each state, with its attempt, due time, lease end or death", arguments: EngineUnderTest.allCases)
    func messageByID(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("q")
        let dead = try bury("dead", in: queue)
        let leasedID = try queue.put("leased").id
        let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(leased.message.id == leasedID)
        let ready = try queue.put(Data([0, 0xFF]), priority: 3).id
        let delayed = try queue.put("later", delay: .seconds(3600)).id

        let first = try #require(try queue.message(id: ready))
        #expect(first.state == .ready && first.message.priority == 3 && first.message.body == Data([0, 0xFF]))
        #expect(first.message.attempt == 1 && first.dueAt == nil && first.leasedUntil == nil && first.diedAt == nil)
        let later = try #require(try queue.message(id: delayed))
        #expect(later.state == .delayed && later.message.text == "later" && later.message.attempt == 1)
        #expect(try #require(later.dueAt).timeIntervalSinceNow > 3000)
        let held = try #require(try queue.message(id: leasedID))
        #expect(held.state == .leased && held.message.attempt == 1 && held.leasedUntil == leased.leasedUntil)
        let buried = try #require(try queue.message(id: dead))
        #expect(buried.state == .dead && buried.message.attempt == 1 && buried.diedAt != nil)
        #expect(try queue.message(id: 12345) == nil)
        #expect(try engine.open(engine.place(in: directory)).queue("elsewhere").message(id: delayed) == nil, "ids are per queue")
        #expect(try queue.messages([.leased, .dead]).map(\.message.id) == [dead, leasedID])
    }

    @Test("a nacked message with a delay is delayed until it comes back, and counts its next attempt", arguments: EngineUnderTest.allCases)
    func nackedDelay(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("q")
        let id = try queue.put("retry me").id
        let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        try queue.nack(leased.receipt, delay: .seconds(3600))
        let stored = try #require(try queue.message(id: id))
        #expect(stored.state == .delayed && stored.message.attempt == 2 && stored.dueAt != nil)
        #expect(try queue.messages([.delayed]).map(\.message.id) == [id])
        #expect(try queue.messages([.leased]).isEmpty)
    }

    @Test("delete(ids:) removes messages whatever their state, frees their keys, and returns the ids found", arguments: EngineUnderTest.allCases)
    func deleteByID(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("q")
        let dead = try bury("dead", in: queue)
        let leasedID = try queue.put("leased").id
        let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        let keyed = try queue.put("keyed", key: "k").id
        let delayed = try queue.put("later", delay: .seconds(3600), key: "d").id
        let kept = try queue.put("kept").id
        #expect(try queue.delete(ids: [keyed, 999, delayed, dead, leasedID, keyed]) == [keyed, delayed, dead, leasedID])
        #expect(try queue.messages(Set(StoredMessage.State.allCases)).map(\.message.id) == [kept])
        #expect(try queue.put("keyed", key: "k").duplicate == false)
        #expect(try queue.put("later", key: "d").duplicate == false)
        #expect(throws: DQError.self) { try queue.ack(leased.receipt) }
        #expect(try queue.delete(ids: [999]) == [])
    }

    @Test("delete(ids:) reads the queue's lanes once, however many ids: 50 cost about what one does")
    func deleteReadsOnce() throws {
        let store = try Store(path: path)
        let queue = try store.queue("q")
        let ids = try queue.put(contentsOf: (0..<5_000).map { OutgoingMessage("m\($0)") }).map(\.id)
        /// VM steps of `body` run in one write transaction.
        func steps(_ body: (Connection) throws -> Void) throws -> Int32 {
            try store.sqlite.write { connection in
                for statement in connection.preparedStatements { _ = sqlite3_stmt_status(statement.handle, SQLITE_STMTSTATUS_VM_STEP, 1) }
                try body(connection)
                return connection.preparedStatements.map { sqlite3_stmt_status($0.handle, SQLITE_STMTSTATUS_VM_STEP, 0) }.reduce(0, +)
            }
        }
        func delete(_ chosen: ArraySlice<Int64>) throws -> Int32 {
            try steps { connection in
                let found = try MessageTable.delete(connection, queue: "q", ids: Array(chosen), drained: store.sqlite.drainedLanes)
                #expect(found == Set(chosen))
            }
        }
        _ = try delete(ids[0..<1])  // prepares the statements
        let (deleteOne, deleteFifty) = (try delete(ids[1..<2]), try delete(ids[2..<52]))
        #expect(deleteFifty < deleteOne * 2, "VM steps deleting 1 id: \(deleteOne), 50 ids: \(deleteFifty)")
    }

    @Test("retryDead(ids:) brings back only those dead letters, with no attempts counted", arguments: EngineUnderTest.allCases)
    func retryChosenDead(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("q")
        let first = try bury("first", in: queue)
        let second = try bury("second", in: queue)
        let third = try bury("third", in: queue)
        #expect(try queue.retryDead(ids: [third, 42, first]) == [first, third])
        #expect(try queue.deadLetters().map(\.id) == [second])
        let back = try queue.get(limit: 5, timeout: .zero)
        #expect(back.map(\.text) == ["first", "third"] && back.map(\.id) == [first, third])
        #expect(back.allSatisfy { $0.attempt == 1 })
        #expect(try queue.retryDead(ids: [first]) == [])
    }

    @Test("move(to:) keeps bodies, priorities, order and keys; a key DEST holds drops the moved one", arguments: EngineUnderTest.allCases)
    func move(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let source = try store.queue("src")
        let destination = try store.queue("dst")
        try source.put(Data([0, 1, 0xFF]), priority: 1)
        try source.put("low")
        try source.put("urgent", priority: 9, key: "u")
        try source.put("taken", key: "shared")
        try source.put("later", delay: .seconds(3600))
        try destination.put("already", key: "shared")
        let result = try source.move(to: destination)
        #expect(result == MoveResult(moved: 3, duplicates: 1))
        #expect(try destination.put("x", key: "u").duplicate, "the key moved with its message")
        let moved = try destination.get(limit: 10, timeout: .zero)
        #expect(moved.map(\.body) == [Data("urgent".utf8), Data([0, 1, 0xFF]), Data("already".utf8), Data("low".utf8)])
        #expect(moved.map(\.priority) == [9, 1, 0, 0])
        #expect(try source.messages().map(\.message.text) == ["later"], "delayed messages stay")
        try source.put("again", key: "u")
        #expect(try source.move(to: destination).duplicates == 0, "the key went with the message and left with its get")
    }

    @Test("move(to:limit:) moves at most limit, in delivery order; dead letters are redriven with attempts reset", arguments: EngineUnderTest.allCases)
    func moveLimitAndDead(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let source = try store.queue("src")
        let destination = try store.queue("dst")
        try source.put(contentsOf: (1...5).map { OutgoingMessage("m\($0)") })
        #expect(try source.move(to: destination, limit: 2) == MoveResult(moved: 2, duplicates: 0))
        #expect(try destination.peek(limit: 5).map(\.text) == ["m1", "m2"])
        #expect(try source.count() == 3)
        let failed = try store.queue("failed")
        _ = try bury("poison", in: failed)
        _ = try bury("poison 2", in: failed)
        #expect(try failed.move(to: destination, dead: true) == MoveResult(moved: 2, duplicates: 0))
        #expect(try failed.deadLetters().isEmpty)
        let redriven = try destination.get(limit: 10, timeout: .zero)
        #expect(redriven.map(\.text) == ["m1", "m2", "poison", "poison 2"])
        #expect(redriven.allSatisfy { $0.attempt == 1 })
    }

    @Test("move refuses the same queue, a queue of another store, and a limit below 1", arguments: EngineUnderTest.allCases)
    func moveRefusals(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let queue = try store.queue("q")
        let elsewhere = TemporaryDirectory()
        let other = try engine.open(engine.place(in: elsewhere)).queue("q2")
        for destination in [queue, other] {
            #expect { try queue.move(to: destination) } throws: { ($0 as? DQError)?.kind == .invalidArgument }
        }
        #expect { try queue.move(to: try store.queue("x"), limit: 0) } throws: { ($0 as? DQError)?.kind == .invalidArgument }
    }

    @Test("follow returns what is there, then waits for a put by another store connection; a timeout returns none")
    func follow() throws {
        let queue = try Store(path: path).queue("q")
        let first = try queue.put("first").id
        try queue.put("later", delay: .seconds(3600))
        let seen = try queue.follow(after: 0, timeout: .zero)
        #expect(seen.map(\.message.text) == ["first", "later"] && seen.map(\.state) == [.ready, .delayed])
        let last = try #require(seen.last).message.id
        #expect(try queue.follow(after: last, timeout: .milliseconds(50)).isEmpty)
        let stop = try WaitInterrupt()
        stop.signal()
        #expect(try queue.follow(after: last, interrupt: stop).isEmpty, "interrupted")
        let engine = try #require(queue.store.engine as? SQLiteEngine)
        let producer = try Store(path: path).queue("q")
        let put = Thread {
            // Once the follower sleeps on the queue's doorbell.
            _ = eventually { engine.waiterCount(on: "q") == 1 }
            _ = try? producer.put("next")
        }
        put.start()
        let next = try queue.follow(after: last, timeout: .seconds(10))
        #expect(next.map(\.message.text) == ["next"])
        #expect(try queue.count() == 2, "nothing was taken")
        #expect(try queue.follow([.ready], after: 0, limit: 1, timeout: .zero).map(\.message.id) == [first])
    }

    @Test("the async follow sleeps until a put, and takes nothing")
    func followAsync() async throws {
        let queue = try Store(path: path).queue("q")
        let engine = try #require(queue.store.engine as? SQLiteEngine)
        let waiting = Task { try await queue.follow(after: 0, timeout: .seconds(10)) }
        #expect(await eventually { engine.waiterCount(on: "q") == 1 })
        try Store(path: path).queue("q").put("hello")
        #expect(try await waiting.value.map(\.message.text) == ["hello"])
        #expect(try queue.count() == 1)
    }
}
