import DQSystem
@testable import DurableQueue
import Synchronization
import Testing

/// A ring source rung by hand: the wait reactor's logic without a kernel source behind it.
private final class HandRungSource: RingSource, @unchecked Sendable {  // the reactor calls it under its lock
    private let counter: EventCounter
    private let pending = Mutex<[String]>([])
    private var watched: Set<String> = []

    init() throws { counter = try EventCounter() }
    deinit { counter.close() }

    var descriptor: FileDescriptor { counter.descriptor }
    func watch(_ channel: String) throws(DQError) { watched.insert(channel) }
    func isWatching(_ channel: String) -> Bool { watched.contains(channel) }
    func unwatch(_ channel: String) { watched.remove(channel) }
    func waiterArrived(on channel: String) {}
    func waiterLeft(_ channel: String) {}

    func drain(_ rung: (String) -> Void) -> Bool {
        counter.clear()
        for channel in pending.withLock({ taken in defer { taken = [] }; return taken }) { rung(channel) }
        return true
    }

    func ring(_ channel: String) {
        pending.withLock { $0.append(channel) }
        counter.signal()
    }
}

/// Looks a waiter can leave out: after a look that found its channel drained
/// (`WaitStep.drained`, PostgreSQL's gets) the next wait sleeps before looking, until the
/// channel rings; and a waiter whose source makes its safety re-check (`.bySource`) does
/// not look again at its deadline unless rung.
@Suite("Waits that skip looks")
struct DrainedWaitTests {
    @Test("after a drained look the next wait looks only when rung or at its deadline; a ring in between makes it look first",
          .timeLimit(.minutes(1)))
    func blocking() throws {
        let source = try HandRungSource()
        let reactor = try WaitReactor(source: source)
        defer { reactor.shutdown() }
        var looks = 0
        let first = try reactor.wait(on: "q", timeout: .seconds(5), interrupt: nil) { _ throws(DQError) -> WaitStep<String> in
            looks += 1
            return .drained("last")
        }
        #expect(first == "last" && looks == 1)

        // Nothing rang: no look until the deadline.
        looks = 0
        let none = try reactor.wait(on: "q", timeout: .milliseconds(200), interrupt: nil) { _ throws(DQError) -> WaitStep<String> in
            looks += 1
            return .drained(nil)
        }
        #expect(none == nil && looks == 1, "looked \(looks) times")

        // A ring while nobody waits: the next wait looks first, and takes what is there.
        source.ring("q")
        looks = 0
        let rung = try reactor.wait(on: "q", timeout: .seconds(5), interrupt: nil) { _ throws(DQError) -> WaitStep<String> in
            looks += 1
            return .done("new")
        }
        #expect(rung == "new" && looks == 1)

        // A look that was not drained: the next wait looks first too.
        looks = 0
        let again = try reactor.wait(on: "q", timeout: .seconds(5), interrupt: nil) { _ throws(DQError) -> WaitStep<String> in
            looks += 1
            return .done("more")
        }
        #expect(again == "more" && looks == 1)
    }

    @Test("the async wait skips its first look after a drained one, and looks when rung", .timeLimit(.minutes(1)))
    func async() async throws {
        let source = try HandRungSource()
        let reactor = try WaitReactor(source: source)
        defer { reactor.shutdown() }
        let looks = Atomic<Int>(0)
        _ = try await reactor.wait(on: "q", timeout: .seconds(5)) { _ throws(DQError) -> WaitStep<Int> in
            looks.add(1, ordering: .relaxed)
            return .drained(1)
        }
        looks.store(0, ordering: .relaxed)
        let none = try await reactor.wait(on: "q", timeout: .milliseconds(200)) { _ throws(DQError) -> WaitStep<Int> in
            looks.add(1, ordering: .relaxed)
            return .drained(nil)
        }
        #expect(none == nil && looks.load(ordering: .relaxed) == 1, "looked \(looks.load(ordering: .relaxed)) times")
        source.ring("q")
        looks.store(0, ordering: .relaxed)
        let rung = try await reactor.wait(on: "q", timeout: .seconds(5)) { _ throws(DQError) -> WaitStep<Int> in
            looks.add(1, ordering: .relaxed)
            return .done(2)
        }
        #expect(rung == 2 && looks.load(ordering: .relaxed) == 1)
    }

    @Test("a waiter whose source re-checks for it looks at the start and when rung, not at its deadline",
          .timeLimit(.minutes(1)))
    func rechecksBySource() throws {
        let source = try HandRungSource()
        let reactor = try WaitReactor(source: source)
        defer { reactor.shutdown() }
        var looks = 0
        let none = try reactor.wait(on: "q", timeout: .milliseconds(200), interrupt: nil,
                                    rechecks: .bySource) { _ throws(DQError) -> WaitStep<String> in
            looks += 1
            return .notYet(until: nil)
        }
        #expect(none == nil && looks == 1, "looked \(looks) times")

        looks = 0
        let itself = try reactor.wait(on: "q", timeout: .milliseconds(200), interrupt: nil,
                                     rechecks: .byLooking) { _ throws(DQError) -> WaitStep<String> in
            looks += 1
            return .notYet(until: nil)
        }
        #expect(itself == nil && looks == 2, "a waiter that re-checks itself looks at its deadline too: \(looks)")
    }

    @Test("the async waiter whose source re-checks for it does not look at its deadline", .timeLimit(.minutes(1)))
    func asyncRechecksBySource() async throws {
        let source = try HandRungSource()
        let reactor = try WaitReactor(source: source)
        defer { reactor.shutdown() }
        let looks = Atomic<Int>(0)
        let none = try await reactor.wait(on: "q", timeout: .milliseconds(200), rechecks: .bySource) { _ throws(DQError) -> WaitStep<Int> in
            looks.add(1, ordering: .relaxed)
            return .notYet(until: nil)
        }
        #expect(none == nil && looks.load(ordering: .relaxed) == 1, "looked \(looks.load(ordering: .relaxed)) times")
    }
}
