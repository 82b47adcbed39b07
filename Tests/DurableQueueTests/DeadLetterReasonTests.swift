import Foundation
import Testing
@testable import DurableQueue

/// Dead letters keep when and why they died: `DeadLetter.lastError`, `exitStatus`,
/// `signal` and `deadAt`, recorded by every way a message is buried.
@Suite("Dead letters keep why they died")
struct DeadLetterReasonTests {
    let directory = TemporaryDirectory()

    struct DiskOnFire: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    func makeQueue() throws -> Queue {
        try Store(path: directory.file("store.db")).queue("jobs")
    }

    @Test("work(): the error a handler threw on the last attempt is the dead letter's last error")
    func handlerError() async throws {
        let queue = try makeQueue()
        try queue.put("poison")
        let before = Date()
        let task = Task {
            try await queue.work(maxAttempts: 2, backoff: .milliseconds(10)) { _ in throw DiskOnFire() }
        }
        #expect(await eventually { (try? queue.deadLetters().count) == 1 })
        task.cancel()
        try await task.value
        let dead = try #require(try queue.deadLetters().first)
        #expect(dead.lastError == "disk on fire")
        #expect(dead.exitStatus == nil && dead.signal == nil)
        #expect(dead.attempt == 2 && dead.text == "poison")
        #expect(dead.deadAt >= before.addingTimeInterval(-1) && dead.deadAt <= Date().addingTimeInterval(1))
    }

    @Test("work(): WorkRejection.deadLetter keeps its reason")
    func rejection() async throws {
        let queue = try makeQueue()
        try queue.put("not a job")
        let task = Task {
            try await queue.work { _ in throw WorkRejection.deadLetter(reason: "not a Job") }
        }
        #expect(await eventually { (try? queue.deadLetters().count) == 1 })
        task.cancel()
        try await task.value
        #expect(try queue.deadLetters().map(\.lastError) == ["not a Job"])
    }

    @Test("nack and settle record the failure given, with exit status or signal; a nack without one records none")
    func nackFailure() throws {
        let queue = try makeQueue()
        for body in ["a", "b", "c"] { try queue.put(body) }
        let leased = try queue.receive(lease: .seconds(60), limit: 3, timeout: .zero)
        try #require(leased.count == 3)
        try queue.nack(leased[0].receipt, maxAttempts: 1, failure: DeliveryFailure("exit status 3", exitStatus: 3))
        #expect(try queue.settle(leased[1], .failed, maxAttempts: 1, backoff: .zero,
                                 failure: DeliveryFailure("killed by SIGKILL", signal: 9)))
        try queue.nack(leased[2].receipt, maxAttempts: 1)
        let dead = try queue.deadLetters()
        #expect(dead.map(\.text) == ["a", "b", "c"])
        #expect(dead.map(\.lastError) == ["exit status 3", "killed by SIGKILL", nil])
        #expect(dead.map(\.exitStatus) == [3, nil, nil])
        #expect(dead.map(\.signal) == [nil, 9, nil])
    }

    @Test("a message whose last lease ran out unsettled says so")
    func leaseRanOut() throws {
        let queue = try makeQueue()
        try queue.put("lost")
        _ = try queue.receive(lease: .milliseconds(1), timeout: .zero, maxAttempts: 1)
        // The next receive finds it back after its one delivery and buries it.
        #expect(try queue.receive(lease: .seconds(60), timeout: .milliseconds(500), maxAttempts: 1).isEmpty)
        let dead = try #require(try queue.deadLetters().first)
        #expect(dead.lastError?.hasPrefix("not settled after 1 deliveries") == true, "\(dead.lastError ?? "nil")")
    }

    @Test("retryDead brings a message back without its reason; buried again, it has the new one")
    func retriedAndBuriedAgain() throws {
        let queue = try makeQueue()
        try queue.put("x")
        var leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        try queue.nack(leased.receipt, maxAttempts: 1, failure: DeliveryFailure("first"))
        #expect(try queue.retryDead() == 1)
        leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        try queue.nack(leased.receipt, maxAttempts: 1, failure: DeliveryFailure("second"))
        #expect(try queue.deadLetters().map(\.lastError) == ["second"])
    }
}
