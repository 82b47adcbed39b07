import Foundation
import Synchronization
import Testing
@testable import DurableQueue

@Suite("Leases and dead letters")
struct LeaseTests {
    let directory = TemporaryDirectory()

    func makeQueue() throws -> Queue {
        try Store(path: directory.file("store.db")).queue("jobs")
    }

    @Test("a leased message is hidden until acked; ack removes it")
    func leaseThenAck() throws {
        let queue = try makeQueue()
        try queue.put("job")
        let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(leased.message.text == "job" && leased.message.attempt == 1)
        #expect(try queue.get(timeout: .zero) == nil)
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero).isEmpty)
        let stats = try #require(try queue.store.stats().queues.first)
        #expect(stats.leased == 1 && stats.ready == 0)
        try queue.ack(leased.receipt)
        #expect(try queue.store.stats().queues.isEmpty, "acked: nothing leased, and a drained queue is not listed")
        let again = #expect(throws: DQError.self) { try queue.ack(leased.receipt) }
        #expect(again?.kind == .staleReceipt)
    }

    @Test("receive(acking:) acks in the transaction that leases the next; the ack commits even if it then waits")
    func ackingWhileLeasing() throws {
        let queue = try makeQueue()
        try queue.put("a")
        try queue.put("b")
        let first = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        let second = try #require(try queue.receive(lease: .seconds(60), timeout: .zero, acking: [first.receipt]).first)
        #expect(first.message.text == "a" && second.message.text == "b")
        let stale = #expect(throws: DQError.self) { try queue.ack(first.receipt) }
        #expect(stale?.kind == .staleReceipt, "a was acked with the lease of b")
        // Nothing left to lease: the ack of b still commits before the wait.
        #expect(try queue.receive(lease: .seconds(60), timeout: .milliseconds(50), acking: [second.receipt]).isEmpty)
        #expect(try queue.store.stats().queues.isEmpty, "nothing leased or ready: a drained queue is not listed")
    }

    @Test("a stale receipt in acking refuses the whole call: nothing acked, nothing leased")
    func ackingStaleRollsBack() throws {
        let queue = try makeQueue()
        try queue.put("a")
        try queue.put("b")
        try queue.put("c")
        let a = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        let b = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        try queue.ack(a.receipt)
        let error = #expect(throws: DQError.self) {
            try queue.receive(lease: .seconds(60), timeout: .zero, acking: [b.receipt, a.receipt])
        }
        #expect(error?.kind == .staleReceipt)
        let stats = try #require(try queue.store.stats().queues.first)
        #expect(stats.leased == 1 && stats.ready == 1, "b still leased, c still ready")
        try queue.ack(b.receipt)
    }

    @Test("an expired lease is delivered again, with a new receipt; the old one is refused")
    func expiryRedelivers() throws {
        let queue = try makeQueue()
        try queue.put("job")
        let first = try #require(try queue.receive(lease: .milliseconds(50), timeout: .zero).first)
        // A blocked receive wakes when the lease runs out (no put rings it).
        let second = try #require(try queue.receive(lease: .seconds(60), timeout: .seconds(10)).first)
        #expect(second.message.id == first.message.id)
        #expect(second.message.attempt == 2)
        #expect(second.receipt != first.receipt)
        for settle in [{ try queue.ack(first.receipt) }, { try queue.nack(first.receipt) }, { try queue.extend(first.receipt, by: .seconds(5)) }] {
            let error = #expect(throws: DQError.self) { try settle() }
            #expect(error?.kind == .staleReceipt)
        }
        try queue.ack(second.receipt)
        #expect(try queue.count() == 0)
    }

    @Test("extend keeps a long job from being delivered again")
    func extendKeepsLease() throws {
        let queue = try makeQueue()
        try queue.put("long job")
        let leased = try #require(try queue.receive(lease: .milliseconds(200), timeout: .zero).first)
        try queue.extend(leased.receipt, by: .seconds(60))
        #expect(try queue.receive(lease: .seconds(1), timeout: .milliseconds(400)).isEmpty)
        try queue.ack(leased.receipt)
    }

    @Test("nack returns the message at once, or after its delay")
    func nack() throws {
        let queue = try makeQueue()
        try queue.put("retry me")
        let first = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        try queue.nack(first.receipt)
        let second = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(second.message.attempt == 2)
        try queue.nack(second.receipt, delay: .milliseconds(300))
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero).isEmpty)
        #expect(try queue.store.stats().queues.first?.delayed == 1)
        let start = ContinuousClock.now
        let third = try #require(try queue.receive(lease: .seconds(60), timeout: .seconds(10)).first)
        #expect(ContinuousClock.now - start >= .milliseconds(250))
        #expect(third.message.attempt == 3)
    }

    @Test("a poison message goes to the dead letters after max attempts and comes back with retryDead")
    func poisonMessage() throws {
        let queue = try makeQueue()
        try queue.put("poison", key: "p-1")
        try queue.put("fine")
        for attempt in 1...3 {
            let leased = try queue.receive(lease: .seconds(60), limit: 2, timeout: .zero, maxAttempts: 3)
            let poison = try #require(leased.first { $0.message.text == "poison" })
            #expect(poison.message.attempt == attempt)
            for other in leased where other.message.text != "poison" { try queue.ack(other.receipt) }
            try queue.nack(poison.receipt, maxAttempts: 3)
        }
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero).isEmpty)
        let dead = try queue.deadLetters()
        #expect(dead.map(\.text) == ["poison"] && dead.first?.attempt == 3)
        #expect(try queue.store.stats().queues.first?.dead == 1)
        // Its dedup key is free again once it left the queue.
        #expect(try !queue.put("poison again", key: "p-1").duplicate)
        #expect(try queue.retryDead() == 1)
        #expect(try queue.deadLetters().isEmpty)
        let back = try queue.receive(lease: .seconds(60), limit: 5, timeout: .zero)
        #expect(Set(back.map { $0.message.text }) == ["poison", "poison again"])
        #expect(back.first { $0.message.text == "poison" }?.message.attempt == 1)
    }

    @Test("a message whose leases keep running out is buried at its next delivery")
    func expiredPastMaxAttempts() throws {
        let queue = try makeQueue()
        try queue.put("stuck")
        for _ in 1...2 {
            #expect(try queue.receive(lease: .milliseconds(20), timeout: .seconds(5), maxAttempts: 2).count == 1)
            usleep(40_000)  // let the lease run out: the subject is time itself
        }
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero, maxAttempts: 2).isEmpty)
        #expect(try queue.deadLetters().count == 1)
        #expect(try queue.purgeDead() == 1)
    }

    @Test("receipts print and parse")
    func receiptText() throws {
        let receipt = Receipt(position: 1_649_267_441_664, id: 1_732_000_000_000_000_123, token: 0x1234_abcd)
        #expect(receipt.description == "1649267441664-1732000000000000123-1234abcd")
        #expect(Receipt(receipt.description) == receipt)
        #expect(Receipt("nonsense") == nil)
        #expect(Receipt("3-12-0") == nil)
        #expect(Receipt("12-ab") == nil)
    }

    @Test("a receipt from another queue settles nothing there, acked alone or by receive(acking:)")
    func receiptOfAnotherQueue() throws {
        let store = try Store(path: directory.file("store.db"))
        let jobs = try store.queue("jobs")
        let other = try store.queue("other")
        try other.put("x")
        try jobs.put("y")
        let leased = try #require(try jobs.receive(lease: .seconds(60), timeout: .zero).first)
        let error = #expect(throws: DQError.self) { try other.ack(leased.receipt) }
        #expect(error?.kind == .invalidArgument && error?.message == "receipt \(leased.receipt) is from queue jobs, not other")
        let acking = #expect(throws: DQError.self) { try other.receive(lease: .seconds(60), timeout: .zero, acking: [leased.receipt]) }
        #expect(acking?.kind == .invalidArgument && acking?.message == error?.message)
        #expect(try other.count() == 1, "nothing leased")
        try jobs.ack(leased.receipt)
        let stale = #expect(throws: DQError.self) { try other.receive(lease: .seconds(60), timeout: .zero, acking: [leased.receipt]) }
        #expect(stale?.kind == .staleReceipt)
    }

    @Test("threads that lease at once register one lease holder between them")
    func oneHolderPerProcess() throws {
        let store = try Store(path: directory.file("store.db"))
        let ids = Mutex<Set<Int64>>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            if let id = try? store.sqlite.holders.holderID(store: store.sqlite) { ids.withLock { _ = $0.insert(id) } }
        }
        #expect(ids.withLock { $0.count } == 1)
        let rows = try store.sqlite.withConnection { try $0.scalarInt("SELECT count(*) FROM holders") }
        #expect(rows == 1, "a holder row for every thread that lost the race")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("store.db-holders"))
        #expect(files.count == 1)
    }
}
