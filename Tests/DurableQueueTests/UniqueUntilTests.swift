import DurableQueue
import Foundation
import Testing

/// How long a dedup key keeps others out (`UniqueUntil`, `dq put --unique-until`), on
/// every engine.
@Suite("Dedup keys: unique until done or started")
struct UniqueUntilTests {
    let directory = TemporaryDirectory()

    @Test("until done: the key stays taken through leases, nacks and expiry, and is free once acked or dead", arguments: EngineUnderTest.allCases)
    func untilDone(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("jobs")
        let first = try queue.put(contentsOf: [OutgoingMessage("a", key: "K", uniqueUntil: .done)])[0]
        let leased = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(try queue.put("b", key: "K") == PutResult(id: first.id, duplicate: true), "taken while it runs")
        try queue.nack(leased.receipt)
        #expect(try queue.put("c", key: "K").duplicate, "taken after a nack")
        let short = try #require(try queue.receive(lease: .milliseconds(100), timeout: .zero).first)
        #expect(eventually { (try? queue.count()) == 1 }, "the lease ran out")
        #expect(try queue.put("d", key: "K").duplicate, "taken after the lease ran out")
        let again = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(throws: DQError.self, "the expired receipt is stale") { try queue.ack(short.receipt) }
        try queue.ack(again.receipt)
        let second = try queue.put("e", key: "K")
        #expect(!second.duplicate, "free once acked")
        let dying = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        try queue.nack(dying.receipt, maxAttempts: 1)
        #expect(try queue.deadLetters().count == 1)
        #expect(!(try queue.put("f", key: "K").duplicate), "free once dead")
        #expect(try queue.get(timeout: .zero)?.text == "f")
        #expect(!(try queue.put("g", key: "K").duplicate), "free once taken by a get")
    }

    @Test("until started: the key is free once the message is delivered, and its ack frees no newer holder", arguments: EngineUnderTest.allCases)
    func untilStarted(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("jobs")
        let first = try queue.put(contentsOf: [OutgoingMessage("v1", key: "rebuild", uniqueUntil: .started)])[0]
        #expect(try queue.put(contentsOf: [OutgoingMessage("v1 again", key: "rebuild", uniqueUntil: .started)])[0].duplicate,
                "taken while queued")
        let running = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        #expect(running.message.id == first.id)
        let second = try queue.put(contentsOf: [OutgoingMessage("v2", key: "rebuild", uniqueUntil: .started)])[0]
        #expect(!second.duplicate, "free once the first is delivered")
        try queue.ack(running.receipt)
        #expect(try queue.put("v3", key: "rebuild") == PutResult(id: second.id, duplicate: true),
                "the first one's ack left the second's key alone")
        #expect(try queue.peek(limit: 5).map(\.text) == ["v2"])
    }

    @Test("dq put --unique-until started, and its usage errors")
    func commandLine() throws {
        let db = directory.file("store.db")
        func put(_ arguments: [String]) throws -> ProcessResult { try dq(["put", "jobs", "--db", db] + arguments + ["--json"]) }
        #expect(try put(["a", "--key", "K", "--unique-until", "started"]).stdoutText.contains("\"duplicate\":false"))
        #expect(try put(["b", "--key", "K"]).stdoutText.contains("\"duplicate\":true"))
        #expect(try dq(["get", "jobs", "--lease", "1m", "--json", "--db", db]).status == 0)
        #expect(try put(["c", "--key", "K", "--unique-until", "done"]).stdoutText.contains("\"duplicate\":false"))
        let bad = try put(["d", "--key", "K", "--unique-until", "finished"])
        #expect(bad.status == 64)
        let keyless = try put(["d", "--unique-until", "started"])
        #expect(keyless.status == 64 && keyless.stderrText.contains("--unique-until applies to a --key"))
    }
}
