import Foundation
import Logging
import Testing
import Synchronization
@testable import DurableQueue

@Suite("Async workers")
struct AsyncWorkTests {
    let directory = TemporaryDirectory()

    @Test("work(concurrency:) handles every message once, retries a failure, and returns when cancelled")
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
        try await task.value
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
        try await task.value
        let stats = try queue.store.stats().queues
        #expect(stats.isEmpty, "nothing leased, ready or delayed: a drained queue is not listed; \(stats)")
    }

    @Test("cancelling work() lets the running handler finish within the grace period; nothing new is taken")
    func cancelDrains() async throws {
        let queue = try Store(path: directory.file("store.db")).queue("jobs")
        for body in ["a", "b", "c"] { try queue.put(body) }
        let started = AsyncStream<Void>.makeStream()
        let finished = Mutex<[String]>([])
        let task = Task {
            try await queue.work(lease: .seconds(60), shutdownGrace: .seconds(30)) { message in
                started.continuation.yield()
                // Not cancelled with work(): this sleep runs to its end.
                try await Task.sleep(for: .milliseconds(300))
                finished.withLock { $0.append(message.text ?? "") }
            }
        }
        var iterator = started.stream.makeAsyncIterator()
        await iterator.next()
        task.cancel()
        try await task.value
        #expect(finished.withLock { $0 } == ["a"])
        let stats = try #require(try queue.store.stats().queues.first)
        #expect(stats.ready == 2 && stats.leased == 0, "a acked, b and c never taken: \(stats)")
        #expect(try queue.peek(limit: 10).map(\.attempt) == [1, 1], "never delivered: the next delivery is their first")
    }

    @Test("a handler's failures are logged with queue, message_id, attempt and error; the last one at error")
    func failuresLogged() async throws {
        let (queue, capture) = try queueWithCapturedLog()
        try queue.put("poison")
        let task = Task {
            try await queue.work(maxAttempts: 2, backoff: .milliseconds(10)) { _ in throw Flaky() }
        }
        #expect(await eventually { (try? queue.deadLetters().count) == 1 })
        task.cancel()
        try await task.value
        let records = capture.records.withLock { $0 }.filter { $0.metadata["queue"] == "jobs" }
        #expect(records.map(\.level) == [.warning, .error], "\(records)")
        #expect(records.map { $0.metadata["attempt"] } == ["1", "2"])
        let id = try #require(try queue.deadLetters().first?.id)
        #expect(records.allSatisfy { $0.metadata["message_id"] == "\(id)" && $0.metadata["error"] == "\(Flaky())" })
    }

    @Test("a handler that throws WorkRejection.deadLetter buries its message at the first attempt, logged at error")
    func rejectToDeadLetters() async throws {
        let (queue, capture) = try queueWithCapturedLog()
        try queue.put("not a job")
        let calls = Mutex(0)
        let task = Task {
            try await queue.work(maxAttempts: 5) { _ in
                calls.withLock { $0 += 1 }
                throw WorkRejection.deadLetter(reason: "unreadable")
            }
        }
        #expect(await eventually { (try? queue.deadLetters().count) == 1 })
        task.cancel()
        try await task.value
        #expect(calls.withLock { $0 } == 1)
        #expect(try queue.deadLetters().map(\.attempt) == [1])
        let logged = capture.records.withLock { $0 }.filter { $0.metadata["queue"] == "jobs" }
        #expect(logged.map(\.level) == [.error] && logged.first?.metadata["error"] == "dead letter: unreadable", "\(logged)")
    }

    @Test("a handler that throws WorkRejection.drop removes its message at once, without a retry or a dead letter")
    func rejectByDropping() async throws {
        let queue = try Store(path: directory.file("store.db")).queue("jobs")
        try queue.put("obsolete")
        let calls = Mutex(0)
        let task = Task {
            try await queue.work(maxAttempts: 5, backoff: .milliseconds(10)) { _ in
                calls.withLock { $0 += 1 }
                throw WorkRejection.drop(reason: "obsolete")
            }
        }
        // A drained queue is not listed at all.
        #expect(await eventually { (try? queue.store.stats().queues.isEmpty) == true })
        task.cancel()
        try await task.value
        #expect(calls.withLock { $0 } == 1)
        #expect(try queue.deadLetters().isEmpty)
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

    /// The queue "jobs" of a store whose logger keeps what it is given.
    private func queueWithCapturedLog() throws -> (Queue, LoggingTests.Capture) {
        let capture = LoggingTests.Capture()
        let logger = Logger(label: "test") { _ in LoggingTests.CaptureHandler(capture: capture) }
        return (try Store(path: directory.file("store.db"), options: StoreOptions(logger: logger)).queue("jobs"), capture)
    }

    struct Flaky: Error {}
}
