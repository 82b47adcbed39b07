import Foundation
import Testing
@testable import DurableQueue

@Suite("Settling handled messages (Queue.work and dq worker)")
struct SettlingTests {
    let directory = TemporaryDirectory()

    @Test("the retry delay doubles per attempt from the backoff, up to five minutes")
    func retryDelay() {
        let delays = (1...5).map { Queue.retryDelay(afterAttempt: $0, backoff: .seconds(1)) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
        #expect(Queue.retryDelay(afterAttempt: 30, backoff: .seconds(1)) == Queue.maxRetryDelay)
        #expect(Queue.retryDelay(afterAttempt: 0, backoff: .milliseconds(250)) == .milliseconds(250))
    }

    @Test("settle: done acks, failed retries with backoff then buries, stopped returns without an attempt")
    func outcomes() throws {
        let queue = try Store(path: directory.file("store.db")).queue("q")
        try queue.put("a")
        var leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(try queue.settle(leased, .stopped, maxAttempts: 2, backoff: .seconds(1)))
        leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(leased.message.attempt == 1, "a stopped delivery does not count")
        #expect(try queue.settle(leased, .failed, maxAttempts: 2, backoff: .milliseconds(100)))
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero).isEmpty, "retried after the backoff, not at once")
        leased = try #require(try queue.receive(lease: .seconds(60), timeout: .seconds(10)).first)
        #expect(leased.message.attempt == 2)
        #expect(try queue.settle(leased, .failed, maxAttempts: 2, backoff: .milliseconds(100)))
        #expect(try queue.deadLetters().count == 1, "two failed deliveries of two allowed: a dead letter")
        try queue.put("b")
        leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(try queue.settle(leased, .done, maxAttempts: 2, backoff: .seconds(1)))
        #expect(try queue.settle(leased, .done, maxAttempts: 2, backoff: .seconds(1)) == false, "a stale receipt is reported, not thrown")
    }

    @Test("a LeaseKeeper keeps a short lease from running out until it stops")
    func leaseKeeper() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        let other = try Store(path: directory.file("store.db")).queue("q")
        try queue.put("long job")
        let leased = try #require(try queue.receive(lease: .milliseconds(300), timeout: .zero).first)
        let keeper = LeaseKeeper(queue: queue, receipt: leased.receipt, lease: .milliseconds(300))
        // Four lease lengths: without the keeper the message would be delivered again.
        #expect(try other.receive(lease: .seconds(60), timeout: .milliseconds(1_200), releaseOnExit: false).isEmpty)
        keeper.stop()
        let again = try #require(try other.receive(lease: .seconds(60), timeout: .seconds(10), releaseOnExit: false).first)
        #expect(again.message.id == leased.message.id && again.message.attempt == 2)
    }
}
