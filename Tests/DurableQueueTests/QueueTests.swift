import Foundation
import Testing
@testable import DurableQueue

@Suite("Queue")
struct QueueTests {
    let directory = TemporaryDirectory()

    func makeQueue(_ name: String = "jobs") throws -> Queue {
        try Store(path: directory.file("store.db")).queue(name)
    }

    @Test("bodies round-trip byte-exact: empty, NUL bytes, invalid UTF-8, 16 MiB")
    func bodiesRoundTrip() throws {
        let queue = try makeQueue()
        var big = Data(count: 16 * 1024 * 1024)
        for index in stride(from: 0, to: big.count, by: 4093) { big[index] = UInt8(truncatingIfNeeded: index &* 31 | 1) }
        let bodies: [Data] = [Data(), Data([0, 0, 65, 0]), Data([0xFF, 0xFE, 0xC3, 0x28]), big]
        for body in bodies { try queue.put(body) }
        for body in bodies {
            let message = try #require(try queue.get(timeout: .zero))
            #expect(message.body == body)
        }
        #expect(try queue.get(timeout: .zero) == nil)
    }

    @Test("traffic counts what every process put and took out, per queue")
    func trafficCounts() throws {
        let path = directory.file("store.db")
        let producer = try Store(path: path).queue("t")
        let consumer = try Store(path: path).queue("t")  // another connection and mapping, as another process
        try producer.put("1")
        try producer.put(contentsOf: [OutgoingMessage("2"), OutgoingMessage("3")])
        try producer.put("k", key: "K")
        try producer.put("again", key: "K")  // a duplicate adds nothing
        _ = try consumer.get(timeout: .zero)
        let leased = try consumer.receive(lease: .seconds(60), limit: 2, timeout: .zero)
        try consumer.ack(leased[0].receipt)
        try consumer.nack(leased[1].receipt)  // back in the queue: not out
        #expect(producer.traffic() == QueueTraffic(added: 4, removed: 2))
        #expect(try producer.store.queue("other").traffic() == QueueTraffic(added: 0, removed: 0))
    }

    @Test("FIFO within a priority, higher priority first")
    func priorityThenFIFO() throws {
        let queue = try makeQueue()
        try queue.put("low-1")
        try queue.put("high-1", priority: 5)
        try queue.put("low-2")
        try queue.put("high-2", priority: 5)
        try queue.put("negative", priority: -1)
        let order = try queue.get(limit: 10, timeout: .zero).map { $0.text }
        #expect(order == ["high-1", "high-2", "low-1", "low-2", "negative"])
    }

    @Test("a large batch mixing plain, keyed and delayed messages and priorities stores each once, in order")
    func largeMixedBatch() throws {
        let queue = try makeQueue()
        var batch: [OutgoingMessage] = []
        for index in 0..<257 {
            switch index {
            case 100: batch.append(OutgoingMessage("keyed", key: "K"))
            case 150: batch.append(OutgoingMessage("keyed again", key: "K"))  // a duplicate within the batch
            case 200: batch.append(OutgoingMessage("later", delay: .seconds(3600)))
            default: batch.append(OutgoingMessage("m\(index)", priority: index % 7 == 0 ? 1 : 0))
            }
        }
        let results = try queue.put(contentsOf: batch)
        #expect(results.count == 257 && results[150].duplicate && results[150].id == results[100].id)
        #expect(Set(results.map(\.id)).count == 256)
        let got = try queue.get(limit: 300, timeout: .zero)
        let expected = batch.enumerated().filter { $0.offset != 150 && $0.offset != 200 }.map(\.element)
        let high = expected.filter { $0.priority == 1 }.map { String(decoding: $0.body, as: UTF8.self) }
        let low = expected.filter { $0.priority == 0 }.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(got.map { $0.text ?? "" } == high + low)
        for priority in [0, 1] {
            let ids = got.filter { $0.priority == priority }.map(\.id)
            #expect(ids == ids.sorted(), "ids rise in put order within priority \(priority)")
        }
        #expect(try queue.store.stats().queues.first?.delayed == 1)
    }

    @Test("a batch mixing priorities keeps FIFO within each priority")
    func mixedBatch() throws {
        let queue = try makeQueue()
        let results = try queue.put(contentsOf: [
            OutgoingMessage("low-1"), OutgoingMessage("high-1", priority: 5), OutgoingMessage("low-2"),
            OutgoingMessage("high-2", priority: 5), OutgoingMessage("low-3"),
        ])
        #expect(Set(results.map(\.id)).count == 5)
        try queue.put("low-4")
        try queue.put("high-3", priority: 5)
        let order = try queue.get(limit: 10, timeout: .zero).map { $0.text }
        #expect(order == ["high-1", "high-2", "high-3", "low-1", "low-2", "low-3", "low-4"])
    }

    @Test("ids strictly increase, even after the queue drains")
    func idsIncrease() throws {
        let queue = try makeQueue()
        let first = try queue.put("a").id
        _ = try queue.get(timeout: .zero)
        let second = try queue.put("b").id
        #expect(second > first)
    }

    @Test("a delayed message is not delivered early, and is delivered once due")
    func delay() throws {
        let queue = try makeQueue()
        try queue.put("later", delay: .milliseconds(300))
        let start = ContinuousClock.now
        #expect(try queue.get(timeout: .zero) == nil)
        #expect(try queue.count() == 0)
        #expect(try queue.peek().isEmpty)
        let message = try #require(try queue.get(timeout: .seconds(10)))
        #expect(message.text == "later")
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }

    @Test("a delayed message that is due is counted, peeked and stats-reported as ready")
    func dueDelayedIsReady() throws {
        let queue = try makeQueue()
        try queue.put("soon", delay: .milliseconds(50))
        try queue.put("much later", delay: .seconds(3600))
        #expect(try queue.store.stats().queues.first?.delayed == 2)
        _ = try queue.get(timeout: .seconds(5))  // waits until "soon" is due
        try queue.put("soon again", delay: .milliseconds(20))
        usleep(40_000) // let the delay pass: the subject under test is time itself
        #expect(try queue.count() == 1)
        #expect(try queue.peek().map(\.text) == ["soon again"])
        let stats = try #require(try queue.store.stats().queues.first)
        #expect(stats.ready == 1 && stats.delayed == 1)
    }

    @Test("a put with a dedup key still in the queue adds nothing and returns the first id")
    func dedup() throws {
        let queue = try makeQueue()
        let first = try queue.put("one", key: "order-17")
        let second = try queue.put("two", key: "order-17")
        #expect(!first.duplicate)
        #expect(second.duplicate)
        #expect(second.id == first.id)
        #expect(try queue.count() == 1)
        #expect(try queue.get(timeout: .zero)?.text == "one")
        // Once the message has left the queue the key is free again.
        let third = try queue.put("three", key: "order-17")
        #expect(!third.duplicate && third.id > first.id)
        // Keys are per queue.
        let other = try makeQueue("other")
        #expect(try !other.put("x", key: "order-17").duplicate)
    }

    @Test("a delayed message keeps its id and its key until delivered")
    func delayedKeepsIdentity() throws {
        let queue = try makeQueue()
        let put = try queue.put("later", priority: 2, delay: .milliseconds(50), key: "job-1")
        #expect(try queue.put("again", key: "job-1") == PutResult(id: put.id, duplicate: true))
        try queue.put("now")
        let first = try #require(try queue.get(timeout: .seconds(5)))
        #expect(first.text == "now")
        let second = try #require(try queue.get(timeout: .seconds(5)))
        #expect(second.text == "later" && second.id == put.id && second.priority == 2)
        #expect(try queue.purge() == 0)
        try queue.put("x", delay: .seconds(3600))
        #expect(try queue.purge() == 1)
    }

    @Test("a batch is one transaction: an invalid message stores none")
    func batchAllOrNothing() throws {
        let queue = try makeQueue()
        let results = try queue.put(contentsOf: [OutgoingMessage("a"), OutgoingMessage("b", key: "k"), OutgoingMessage("c", key: "k")])
        #expect(results.map(\.duplicate) == [false, false, true])
        #expect(results[2].id == results[1].id)
        #expect(throws: DQError.self) {
            try queue.put(contentsOf: [OutgoingMessage("d"), OutgoingMessage(Data(), key: "")])
        }
        #expect(try queue.count() == 2)
    }

    @Test("over-size bodies are refused with invalidArgument")
    func overSize() throws {
        let queue = try makeQueue()
        let error = #expect(throws: DQError.self) { try queue.put(Data(count: Queue.maxBodyBytes + 1)) }
        #expect(error?.kind == .invalidArgument)
    }

    @Test("peek, count and purge; dead letters survive purge")
    func inspect() throws {
        let queue = try makeQueue()
        for index in 0..<5 { try queue.put("m\(index)") }
        #expect(try queue.peek(limit: 2).map(\.text) == ["m0", "m1"])
        #expect(try queue.count() == 5)
        #expect(try queue.purge() == 5)
        #expect(try queue.count() == 0)
    }

    @Test("messages carry queue, priority, enqueue time and attempt")
    func metadata() throws {
        let queue = try makeQueue()
        let before = Date()
        try queue.put("x", priority: 3)
        let message = try #require(try queue.get(timeout: .zero))
        #expect(message.queue == "jobs")
        #expect(message.priority == 3)
        #expect(message.attempt == 1)
        #expect(abs(message.enqueuedAt.timeIntervalSince(before)) < 60)
    }

    @Test("Codable and String bodies")
    func codable() throws {
        struct Job: Codable, Equatable { var name: String; var size: Int }
        let queue = try makeQueue()
        try queue.put(json: Job(name: "resize", size: 3))
        try queue.put("plain")
        #expect(try queue.get(timeout: .zero)?.decode(Job.self) == Job(name: "resize", size: 3))
        #expect(try queue.get(timeout: .zero)?.text == "plain")
    }

    @Test("the blocking get times out with nil")
    func blockingTimeout() throws {
        let queue = try makeQueue()
        let start = ContinuousClock.now
        #expect(try queue.get(timeout: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
    }

    @Test("many threads share one Store: every message received exactly once")
    func manyThreads() async throws {
        let queue = try makeQueue()
        let perProducer = 200
        try await withThrowingTaskGroup(of: [String].self) { group in
            for producer in 0..<4 {
                group.addTask {
                    for index in 0..<perProducer { try queue.put("p\(producer)-\(index)") }
                    return []
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    var got: [String] = []
                    while let message = try await queue.get(timeout: .seconds(2)) { got.append(message.text ?? "") }
                    return got
                }
            }
            var received: [String] = []
            for try await batch in group { received += batch }
            #expect(received.count == 4 * perProducer)
            #expect(Set(received).count == 4 * perProducer)
        }
    }

    @Test("the async get waits for a message put later")
    func asyncWait() async throws {
        let queue = try makeQueue()
        async let message = queue.get(timeout: .seconds(10))
        try queue.put("hello")
        #expect(try await message?.text == "hello")
    }

    @Test("a cancelled async get stops waiting")
    func asyncCancel() async throws {
        let queue = try makeQueue()
        let task = Task { try await queue.get(timeout: nil) }
        task.cancel()
        await #expect(throws: DQError(.cancelled, "the wait was cancelled")) { try await task.value }
    }

    @Test("invalid queue names are refused", arguments: ["", String(repeating: "x", count: 201), "a\u{0}b", "tab\there", "del\u{7F}"])
    func invalidNames(name: String) throws {
        let store = try Store(path: directory.file("store.db"))
        let error = #expect(throws: DQError.self) { try store.queue(name) }
        #expect(error?.kind == .invalidArgument)
    }

    @Test("names of up to 200 bytes of any UTF-8 are fine")
    func validNames() throws {
        let store = try Store(path: directory.file("store.db"))
        for name in [String(repeating: "é", count: 100), "with space", "emoji 🚀", "a/b\\c'd\"; DROP TABLE messages"] {
            let queue = try store.queue(name)
            try queue.put("x")
            #expect(try queue.get(timeout: .zero)?.queue == name)
        }
    }
}
