import Foundation
import Synchronization
import Testing
@testable import DurableQueue
import DurableQueuePostgres

/// An engine the store contract's tests run against. Each case opens fresh stores of
/// its kind; two stores opened on the same `place` share their data, as two processes do.
enum EngineUnderTest: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    /// The server `$DQ_TEST_POSTGRES` names (`.ci/run` starts one); only listed then.
    case postgres

    static var allCases: [EngineUnderTest] { PostgresTestServer.address == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// Where a new store of this engine lives: a file in `directory`, or a new database
    /// on the test server.
    func place(in directory: TemporaryDirectory) -> String {
        switch self {
        case .sqlite: directory.file("contract.db")
        case .postgres: (try? PostgresTestServer.freshDatabase()) ?? "postgres://unavailable"
        }
    }

    /// The store a command-line test uses with this engine, noted in `directory` so that
    /// the suite's helpers use it too: `store.db` there, or a new PostgreSQL database.
    func store(for directory: TemporaryDirectory) -> String {
        let place = self == .sqlite ? directory.file("store.db") : place(in: directory)
        directory.store = place
        return place
    }

    /// A store on `place` kept by this engine.
    func open(_ place: String) throws -> Store {
        switch self {
        case .sqlite: Store(engine: try SQLiteEngine(path: place, options: StoreOptions()))
        case .postgres: try Store(postgres: place)
        }
    }
}

/// The store contract (`StoreEngine`), written once and run against every engine
/// through the public API. Engine-specific behaviour (files, SQL) is tested elsewhere.
@Suite("Store contract")
struct ContractTests {
    let directory = TemporaryDirectory()

    @Test("a queue delivers higher priority first, then in put order; ids increase", arguments: EngineUnderTest.allCases)
    func order(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("q")
        let ids = try queue.put(contentsOf: ["a", "b", "c"].map { OutgoingMessage($0) }).map(\.id)
        try queue.put("urgent", priority: 5)
        try queue.put("low", priority: -1)
        #expect(ids == ids.sorted() && Set(ids).count == 3)
        #expect(try queue.peek(limit: 5).map(\.text) == ["urgent", "a", "b", "c", "low"])
        #expect(try queue.count() == 5)
        #expect(try queue.get(limit: 5, timeout: .zero).map(\.text) == ["urgent", "a", "b", "c", "low"])
        #expect(try queue.get(timeout: .zero) == nil)
    }

    @Test("a delayed message is not delivered before its time", arguments: EngineUnderTest.allCases)
    func delay(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("q")
        try queue.put("later", delay: .milliseconds(300))
        try queue.put("now")
        #expect(try queue.count() == 1)
        #expect(try queue.get(timeout: .zero)?.text == "now")
        #expect(try queue.get(timeout: .zero) == nil)
        // The wait ends when the message falls due, not at the timeout.
        let started = ContinuousClock.now
        #expect(try queue.get(timeout: .seconds(10))?.text == "later")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("a dedup key holds while its message is queued", arguments: EngineUnderTest.allCases)
    func dedup(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("q")
        let first = try queue.put("once", key: "k")
        let again = try queue.put("twice", key: "k")
        #expect(again.duplicate && again.id == first.id)
        #expect(try queue.get(timeout: .zero)?.text == "once")
        #expect(try queue.put("after", key: "k").duplicate == false)
    }

    @Test("leases: hidden until settled; ack, nack, extend, release; stale and foreign receipts refused",
          arguments: EngineUnderTest.allCases)
    func leases(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let queue = try store.queue("q")
        try queue.put("job")
        let first = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(first.message.attempt == 1)
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero).isEmpty, "hidden while leased")
        try queue.extend(first.receipt, by: .seconds(120))
        try queue.nack(first.receipt)
        #expect((#expect(throws: DQError.self) { try queue.ack(first.receipt) })?.kind == .staleReceipt)
        let second = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(second.message.attempt == 2 && second.message.id == first.message.id)
        try queue.release(second.receipt)
        let third = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(third.message.attempt == 2, "a released delivery does not count")
        #expect((#expect(throws: DQError.self) { try store.queue("other").ack(third.receipt) })?.kind == .invalidArgument)
        try queue.ack(third.receipt)
        #expect(try queue.get(timeout: .zero) == nil)
        #expect(try store.stats().queues.isEmpty, "an empty queue is not listed")
    }

    @Test("a lease that runs out delivers the message again", arguments: EngineUnderTest.allCases)
    func leaseExpiry(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("q")
        try queue.put("job")
        let first = try #require(try queue.receive(lease: .milliseconds(200), timeout: .zero).first)
        // The wait ends when the lease runs out.
        let again = try #require(try queue.receive(lease: .seconds(60), timeout: .seconds(10)).first)
        #expect(again.message.id == first.message.id && again.message.attempt == 2)
    }

    @Test("a queue's own counts are those stats() lists for it, and count no other queue", arguments: EngineUnderTest.allCases)
    func queueStats(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let jobs = try store.queue("jobs")
        #expect(try jobs.stats() == nil, "an empty queue has no counts")
        try jobs.put(contentsOf: ["ready 1", "ready 2", "leased", "poison"].map { OutgoingMessage(Data($0.utf8)) })
        try jobs.put("later", delay: .seconds(60))
        try jobs.put("urgent", priority: 5)
        let urgent = try #require(try jobs.get(timeout: .zero))
        #expect(urgent.text == "urgent")
        try jobs.put("urgent again", priority: 5)
        for _ in 0..<3 { _ = try jobs.get(timeout: .zero) }
        let leased = try #require(try jobs.receive(lease: .seconds(60), timeout: .zero, maxAttempts: 1).first)
        try jobs.nack(leased.receipt, maxAttempts: 1)
        _ = try #require(try jobs.receive(lease: .seconds(60), timeout: .zero).first)
        // Queues whose names extend or prefix "jobs" are apart.
        try store.queue("jobs2").put("other")
        try store.queue("job").put("other")
        let own = try #require(try jobs.stats())
        #expect((own.ready, own.delayed, own.leased, own.dead) == (0, 1, 1, 1))
        #expect(own == (try store.stats().queues.first { $0.name == "jobs" }).map { listed in
            QueueStats(name: listed.name, ready: listed.ready, delayed: listed.delayed, leased: listed.leased,
                       dead: listed.dead, oldestReadyAge: own.oldestReadyAge)
        })
        try store.queue("jobs2").put("more")
        let other = try #require(try store.queue("jobs2").stats())
        #expect((other.name, other.ready, other.delayed, other.leased, other.dead) == ("jobs2", 2, 0, 0, 0))
        #expect(try #require(other.oldestReadyAge) >= .zero)
    }

    @Test("max attempts: dead letters listed, retried and purged", arguments: EngineUnderTest.allCases)
    func deadLetters(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let queue = try store.queue("q")
        try queue.put("poison")
        for _ in 1...2 {
            let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero, maxAttempts: 2).first)
            try queue.nack(leased.receipt, maxAttempts: 2)
        }
        #expect(try queue.get(timeout: .zero) == nil)
        #expect(try queue.deadLetters().map(\.text) == ["poison"])
        #expect(try store.stats().queues.first?.dead == 1)
        #expect(try queue.retryDead() == 1)
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero).first?.message.attempt == 1)
        try queue.purge()
        try queue.put("poison 2")
        let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero, maxAttempts: 1).first)
        try queue.nack(leased.receipt, maxAttempts: 1)
        #expect(try queue.purgeDead() == 1)
        #expect(try store.stats().queues.isEmpty)
    }

    @Test("two stores on one place: each message goes to exactly one getter", arguments: EngineUnderTest.allCases)
    func exactlyOnce(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let producer = try engine.open(place).queue("q")
        try producer.put(contentsOf: (0..<400).map { OutgoingMessage("m\($0)") })
        let getters = try (0..<2).map { _ in try engine.open(place).queue("q") }
        let taken = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            while let message = try? getters[index].get(timeout: .zero) {
                taken.withLock { $0.append(message.text ?? "") }
            }
        }
        let all = taken.withLock { $0 }
        #expect(all.count == 400 && Set(all).count == 400)
    }

    @Test("a blocked get is woken by a put through another store", arguments: EngineUnderTest.allCases)
    func wakeUp(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let reader = try engine.open(place).queue("q")
        let writer = try engine.open(place).queue("q")
        let waiting = DispatchSemaphore(value: 0)
        let got = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            waiting.signal()
            let message = try? reader.get(timeout: .seconds(20))
            got.withLock { $0 = message?.text }
            done.signal()
        }
        waiting.wait()
        try writer.put("hello")
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(got.withLock { $0 } == "hello")
    }

    @Test("async waits are woken through another store, ack in the receive's transaction, and end on cancellation taking nothing",
          arguments: EngineUnderTest.allCases)
    func asyncWaits(engine: EngineUnderTest) async throws {
        let place = engine.place(in: directory)
        let reader = try engine.open(place)
        let writer = try engine.open(place)
        let queue = try reader.queue("q")

        async let got = queue.get(timeout: .seconds(20))
        async let counted = reader.counter("c").wait(atLeast: 1, timeout: .seconds(20))
        async let keyed = reader.dict("d").wait(for: "k", timeout: .seconds(20))
        try writer.queue("q").put("hello")
        try writer.counter("c").add()
        try writer.dict("d").set("k", "v")
        #expect(try await got?.text == "hello")
        #expect(try await counted == 1)
        #expect(try await keyed == Data("v".utf8))

        try writer.queue("q").put(contentsOf: [OutgoingMessage("a"), OutgoingMessage("b")])
        let first = try #require(try await queue.receive(lease: .seconds(30)).first)
        let second = try #require(try await queue.receive(lease: .seconds(30), acking: [first.receipt]).first)
        #expect([first.message.text, second.message.text] == ["a", "b"])
        #expect(throws: DQError.self) { try queue.ack(first.receipt) }  // acked with the second receive

        let waiting = Task { try await queue.get(timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(20))  // let it start waiting; the outcome does not depend on it
        waiting.cancel()
        await #expect(throws: DQError(.cancelled, "the wait was cancelled")) { try await waiting.value }
        try writer.queue("q").put("kept")
        #expect(try await queue.get(timeout: .zero)?.text == "kept")
    }

    @Test("dicts: set, get, compare-and-set, update, delete, items; a wait is woken by a set",
          arguments: EngineUnderTest.allCases)
    func dicts(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let dict = try engine.open(place).dict("d")
        try dict.set("a", "1")
        #expect(try dict.get("a") == Data("1".utf8))
        #expect(try dict.compareAndSet("a", expected: Data("0".utf8), new: Data("2".utf8)) == false)
        #expect(try dict.compareAndSet("a", expected: Data("1".utf8), new: Data("2".utf8)))
        #expect(try dict.compareAndSet("b", expected: nil, new: Data("x".utf8)), "set if absent")
        #expect(try dict.update("a") { Data(($0 ?? Data()) + Data("+".utf8)) } == Data("2+".utf8))
        #expect(try dict.items().map(\.key) == ["a", "b"])
        #expect(try dict.delete("b") && !(try dict.delete("b")))
        #expect(try dict.get("b") == nil)

        let other = try engine.open(place).dict("d")
        let done = DispatchSemaphore(value: 0)
        let seen = Mutex<Data?>(nil)
        Thread.detachNewThread {
            let value = try? other.wait(for: "c", timeout: .seconds(20))
            seen.withLock { $0 = value }
            done.signal()
        }
        try dict.set("c", "arrived")
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(seen.withLock { $0 } == Data("arrived".utf8))
    }

    @Test("lists, counters and events", arguments: EngineUnderTest.allCases)
    func sharedValues(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let store = try engine.open(place)
        let list = try store.list("l")
        #expect(try list.append(contentsOf: [Data("a".utf8), Data("b".utf8)]) == 2)
        #expect(try list.append("c") == 3)
        #expect(try list.pop() == Data("c".utf8))
        #expect(try list.items() == [Data("a".utf8), Data("b".utf8)] && list.count() == 2)

        let counter = try store.counter("n")
        #expect(try counter.add() == 1 && counter.add(41) == 42)
        #expect((#expect(throws: DQError.self) { try counter.add(.max) })?.kind == .invalidArgument)
        try counter.set(7)
        #expect(try counter.get() == 7)

        let event = try store.event("e")
        #expect(try !event.isSet())
        let waiter = try engine.open(place)
        let done = DispatchSemaphore(value: 0)
        let results = Mutex<(Int64?, Bool)>((nil, false))
        Thread.detachNewThread {
            let value = try? waiter.counter("n").wait(atLeast: 8, timeout: .seconds(20))
            let set = (try? waiter.event("e").wait(timeout: .seconds(20))) ?? false
            results.withLock { $0 = (value, set) }
            done.signal()
        }
        try counter.add()
        try event.set()
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(results.withLock { $0.0 } == 8 && results.withLock { $0.1 })
        try event.clear()
        #expect(try !event.isSet())
    }

    @Test("a named lock is exclusive across stores, and free again once released", arguments: EngineUnderTest.allCases)
    func locks(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let first = try engine.open(place).lock("deploy")
        let second = try engine.open(place).lock("deploy")
        let held = try first.lock(timeout: .zero)
        let refused = #expect(throws: DQError.self) { try second.lock(timeout: .milliseconds(200)) }
        #expect(refused?.kind == .timedOut)
        #expect(try engine.open(place).lock("other").withLock(timeout: .zero) { true }, "another name is another lock")
        held.unlock()
        #expect(try second.withLock(timeout: .seconds(5)) { "taken" } == "taken")
    }

    @Test("a change watch wakes when another store commits", arguments: EngineUnderTest.allCases)
    func changeWatch(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let watcher = try engine.open(place)
        let changes = try StoreChanges(store: watcher)
        try engine.open(place).queue("q").put("x")
        #expect(changes.wait(timeout: .seconds(10)))
    }
}
