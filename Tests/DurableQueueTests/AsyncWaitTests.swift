import Foundation
import Testing
@testable import DurableQueue

@Suite("Async waits on shared state")
struct AsyncWaitTests {
    let directory = TemporaryDirectory()

    @Test("four async counter waits and the task that adds: none starves, all see the add")
    func counterWaitsDoNotStarve() async throws {
        let counter = try Store(path: directory.file("store.db")).counter("arrived")
        let started = ContinuousClock.now
        let values = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for _ in 0..<4 {
                group.addTask { try await counter.wait(atLeast: 1, timeout: .seconds(20)) }
            }
            group.addTask {
                try counter.add()
                return 1
            }
            var values: [Int64?] = []
            for try await value in group { values.append(value) }
            return values
        }
        #expect(values.count == 5 && values.allSatisfy { $0 == 1 }, "\(values)")
        // Blocking waits on the cooperative pool held its threads until their timeout.
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test("a cancelled async wait of every kind ends at once with CancellationError")
    func cancellation() async throws {
        let store = try Store(path: directory.file("store.db"))
        let counter = try store.counter("c")
        let event = try store.event("e")
        let dict = try store.dict("d")
        let waits: [@Sendable () async throws -> Void] = [
            { _ = try await counter.wait(atLeast: 100, timeout: .seconds(60)) },
            { _ = try await event.wait(timeout: .seconds(60)) },
            { _ = try await dict.wait(for: "never", timeout: .seconds(60)) },
            { _ = try await dict.waitForChange(of: "never", timeout: .seconds(60)) },
        ]
        for wait in waits {
            let task = Task { try await wait() }
            try await Task.sleep(for: .milliseconds(50))  // let it start waiting; the outcome does not depend on it
            let cancelled = ContinuousClock.now
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(ContinuousClock.now - cancelled < .seconds(10), "a cancelled wait ran on toward its 60 s timeout")
        }
    }

    @Test("async event and dict waits return what another store set")
    func values() async throws {
        let path = directory.file("store.db")
        let waiter = try Store(path: path)
        let setter = try Store(path: path)
        async let set = waiter.event("go").wait(timeout: .seconds(20))
        async let value = waiter.dict("d").wait(for: "k", timeout: .seconds(20))
        try setter.event("go").set()
        try setter.dict("d").set("k", "v")
        #expect(try await set)
        #expect(try await value == Data("v".utf8))

        // A change counts only after the wait began, which the setter cannot see: it
        // sets the key again until the waiter reports a change.
        let changer = Task {
            while !Task.isCancelled {
                try setter.dict("d").set("other", "w")
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let change = try await waiter.dict("d").waitForChange(of: "other", timeout: .seconds(20))
        changer.cancel()
        #expect(change == .set(Data("w".utf8)))
    }
}
