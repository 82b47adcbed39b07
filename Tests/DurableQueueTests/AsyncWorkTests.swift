import Foundation
import Testing
import Synchronization
@testable import DurableQueue

@Suite("Async workers")
struct AsyncWorkTests {
    let directory = TemporaryDirectory()

    @Test("work(concurrency:) handles every message once, retries a failure, and stops on cancel")
    func workLoop() async throws {
        let queue = try Store(path: directory.file("store.db")).queue("jobs")
        for index in 0..<20 { try queue.put("m\(index)") }
        try queue.put("flaky")
        let seen = Mutex<[String: Int]>([:])
        let task = Task {
            try await queue.work(lease: .seconds(5), concurrency: 3, backoff: .milliseconds(10)) { message in
                let text = message.text ?? ""
                let count = seen.withLock { seen -> Int in
                    seen[text, default: 0] += 1
                    return seen[text]!
                }
                if text == "flaky" && count == 1 { throw Flaky() }
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let done = seen.withLock { $0.count == 21 && $0["flaky"] == 2 }
            // A drained queue is not listed at all.
            if done, try (queue.store.stats().queues.first.map { $0.ready + $0.leased + $0.delayed } ?? 0) == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        seen.withLock { seen in
            #expect(seen.count == 21)
            #expect(seen.filter { $0.key != "flaky" }.allSatisfy { $0.value == 1 })
            #expect(seen["flaky"] == 2)
        }
        #expect(try queue.count() == 0)
    }

    @Test("work() acks the last message it handled when it is cancelled: nothing left leased or redelivered")
    func cancelAcksLastHandled() async throws {
        let queue = try Store(path: directory.file("store.db")).queue("jobs")
        try queue.put("only")
        let handled = AsyncStream<Void>.makeStream()
        let task = Task {
            try await queue.work(lease: .seconds(60)) { _ in handled.continuation.yield() }
        }
        var iterator = handled.stream.makeAsyncIterator()
        await iterator.next()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let stats = try queue.store.stats().queues
        #expect(stats.isEmpty, "nothing leased, ready or delayed: a drained queue is not listed; \(stats)")
    }

    @Test("leasedMessages() yields messages as they are put, across tasks")
    func sequence() async throws {
        let queue = try Store(path: directory.file("store.db")).queue("jobs")
        let consumer = Task {
            var bodies: [String] = []
            for try await leased in queue.leasedMessages(lease: .seconds(5)) {
                bodies.append(leased.message.text ?? "")
                try queue.ack(leased.receipt)
                if bodies.count == 3 { break }
            }
            return bodies
        }
        for body in ["a", "b", "c"] { try queue.put(body) }
        #expect(try await consumer.value == ["a", "b", "c"])
    }

    struct Flaky: Error {}
}
