import CLinuxShims
import Foundation
import Testing
@testable import DurableQueue

/// `Queue.work` as a swift-service-lifecycle service in a real process
/// (`dq-lifecycle-helper`), shut down by SIGTERM.
@Suite("Queue.work under swift-service-lifecycle")
struct LifecycleTests {
    let directory = TemporaryDirectory()

    @Test("SIGTERM: running handlers finish and are acked, nothing new is taken, and the process exits 0")
    func drainOnSigterm() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("jobs")
        for index in 0..<6 { try queue.put("m\(index)") }
        // Two handlers of one second each: SIGTERM comes while both run.
        let result = try sigterm(when: "started", reaches: 2, store: store, concurrency: 2, handlerMilliseconds: 1_000)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(try store.counter("started").get() == 2, "no message taken after SIGTERM")
        #expect(try store.counter("finished").get() == 2, "both running handlers finished")
        let stats = try #require(try store.stats().queues.first)
        #expect(stats.ready == 4 && stats.leased == 0, "m0 and m1 acked, not back in the queue: \(stats)")
        #expect(try queue.peek(limit: 10).map(\.text) == ["m2", "m3", "m4", "m5"])
        #expect(try queue.peek(limit: 10).allSatisfy { $0.attempt == 1 }, "the rest never delivered")
    }

    @Test("SIGTERM while waiting for messages: the process exits 0, its last handled message acked")
    func idleOnSigterm() throws {
        let store = try Store(path: directory.file("store.db"))
        try store.queue("jobs").put("only")
        // Once handled, the worker acks it and waits for the next message.
        let result = try sigterm(when: "finished", reaches: 1, store: store, concurrency: 1, handlerMilliseconds: 0)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(try store.stats().queues.isEmpty, "nothing ready or leased: a drained queue is not listed")
    }

    @Test("SIGTERM: a handler slower than the grace period is cancelled; its message goes back, the attempt not counted")
    func graceEnds() throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("jobs")
        try queue.put("slow")
        // A handler of a minute and a grace of 200 ms: waiting for the handler would
        // overrun the 30 s bound on the exit.
        let result = try sigterm(when: "started", reaches: 1, store: store, concurrency: 1, handlerMilliseconds: 60_000,
                                 graceMilliseconds: 200)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(try store.counter("finished").get() == 0)
        let again = try #require(try queue.receive(lease: .seconds(60), timeout: .zero).first)
        // A lease returned because its holder died would count the attempt: this is 2 then.
        #expect(again.message.text == "slow" && again.message.attempt == 1)
    }

    /// Runs the helper on the queue "jobs" of `store` until the store's counter `counter`
    /// reaches `count`, then sends it SIGTERM and waits (at most 30 s) for it to exit.
    private func sigterm(when counter: String, reaches count: Int64, store: Store, concurrency: Int,
                         handlerMilliseconds: Int, graceMilliseconds: Int = 30_000) throws -> ProcessResult {
        let worker = try ChildProcess(Executables.lifecycleHelper, [directory.file("store.db"), "jobs", "\(concurrency)",
                                                                    "\(handlerMilliseconds)", "\(graceMilliseconds)"])
        #expect(try store.counter(counter).wait(atLeast: count, timeout: .seconds(30)) != nil)
        kill(worker.pid, SIGTERM)
        return worker.wait(timeout: .seconds(30))
    }
}
