import Foundation
import Testing
@testable import DurableQueue

@Suite("Async waits on shared state")
struct AsyncWaitTests {
    let directory = TemporaryDirectory()

    @Test("four async counter waits and the task that adds, on two threads: none starves, all see the add within a second")
    func counterWaitsDoNotStarve() async throws {
        let counter = try Store(path: directory.file("store.db")).counter("arrived")
        let twoThreads = FixedThreadExecutor(threads: 2)
        let started = ContinuousClock.now
        let values = try await withTaskExecutorPreference(twoThreads) {
            try await withThrowingTaskGroup(of: Int64?.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await counter.wait(atLeast: 1, timeout: .seconds(2)) }
                }
                group.addTask {
                    try counter.add()
                    return 1
                }
                var values: [Int64?] = []
                for try await value in group { values.append(value) }
                return values
            }
        }
        #expect(values.count == 5 && values.allSatisfy { $0 == 1 }, "\(values)")
        // Waits that held the two threads would have run to their 2 s timeouts first.
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test("a cancelled async wait of every kind ends with DQError.cancelled within 100 ms")
    func cancellation() async throws {
        let path = directory.file("store.db")
        let store = try Store(path: path)
        let counter = try store.counter("c")
        let event = try store.event("e")
        let dict = try store.dict("d")
        let queue = try store.queue("q")
        let pipe = try store.pipe("p", end: .first)
        let lock = try store.lock("l")
        let holder = try await Store(path: path).lock("l").lock()
        defer { holder.unlock() }
        let waits: [(String, @Sendable () async throws -> Void)] = [
            ("counter", { _ = try await counter.wait(atLeast: 100, timeout: .seconds(60)) }),
            ("event", { _ = try await event.wait(timeout: .seconds(60)) }),
            ("dict key", { _ = try await dict.wait(for: "never", timeout: .seconds(60)) }),
            ("dict change", { _ = try await dict.waitForChange(of: "never", timeout: .seconds(60)) }),
            ("get", { _ = try await queue.get(timeout: .seconds(60)) }),
            ("receive", { _ = try await queue.receive(lease: .seconds(30), timeout: .seconds(60)) }),
            ("pipe", { _ = try await pipe.receive(timeout: .seconds(60)) }),
            ("lock", { _ = try await lock.lock(timeout: .seconds(60)) }),
        ]
        for (kind, wait) in waits {
            let task = Task { try await wait() }
            try await Task.sleep(for: .milliseconds(20))  // let it start waiting; the outcome does not depend on it
            let cancelled = ContinuousClock.now
            task.cancel()
            await #expect(throws: DQError(.cancelled, "the wait was cancelled"), "\(kind)") { try await task.value }
            let took = ContinuousClock.now - cancelled
            #expect(took < .milliseconds(100), "a cancelled \(kind) wait took \(took)")
        }
    }

    @Test("value streams: the value now, then each change from another store; they end when the task is cancelled")
    func valueStreams() async throws {
        let path = directory.file("store.db")
        let watcher = try Store(path: path)
        let setter = try Store(path: path)
        let seen = Task {
            var seen: [Int64] = []
            for try await value in try watcher.counter("done").values() {
                seen.append(value)
                if value == 3 { break }
            }
            return seen
        }
        // The first value is read before the first add; later ones may come as one.
        while watcher.sqlite.waiterCount(on: SQLiteEngine.channel(for: .counter("done"))) == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        for _ in 1...3 { try setter.counter("done").add() }
        let values = try await seen.value
        #expect(values.first == 0 && values.last == 3 && values == Array(Set(values)).sorted(), "\(values)")

        let modes = Task {
            var modes: [String?] = []
            for try await mode in try watcher.dict("config").values(of: "mode") {
                modes.append(mode.map { String(decoding: $0, as: UTF8.self) })
                if modes.count == 2 { break }
            }
            return modes
        }
        while watcher.sqlite.waiterCount(on: SQLiteEngine.channel(for: .dictKey(dict: "config", key: "mode"))) == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        try setter.dict("config").set("mode", "fast")
        #expect(try await modes.value == [nil, "fast"])

        let paused = Task {
            var values: [Bool] = []
            for try await value in try watcher.event("paused").values() { values.append(value) }
            return values
        }
        while watcher.sqlite.waiterCount(on: SQLiteEngine.channel(for: .event("paused"))) == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        paused.cancel()
        #expect(try await paused.value == [false])
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

@Suite("One wait reactor per store")
struct WaitReactorTests {
    let directory = TemporaryDirectory()

    @Test("1,000 concurrent async gets on one store: one inotify instance, a handful of threads, each gets one message")
    func thousandGets() async throws {
        let store = try Store(path: directory.file("store.db"))
        let queue = try store.queue("q")
        let threadsBefore = Self.threadCount()
        let gets = (0..<1_000).map { _ in Task { try await queue.get(timeout: .seconds(60)) } }
        let waiting = await eventually(timeout: .seconds(30)) { store.sqlite.waiterCount(on: "q") == 1_000 }
        #expect(waiting, "\(store.sqlite.waiterCount(on: "q")) of 1,000 gets waiting")
        #expect(Self.openInotifyInstances() == 1)
        let extraThreads = Self.threadCount() - threadsBefore
        #expect(extraThreads <= 20, "\(extraThreads) extra threads")
        _ = try queue.put(contentsOf: (0..<1_000).map { OutgoingMessage("m\($0)") })
        var bodies: Set<String> = []
        for get in gets { bodies.insert(try #require(try await get.value?.text)) }
        #expect(bodies.count == 1_000)
    }

    @Test("two processes each working a queue with 200 slots share it without running out of anything")
    func twoProcessesManySlots() throws {
        let db = directory.file("store.db")
        let queue = try Store(path: db).queue("jobs")
        let workers = try (0..<2).map { _ in
            try ChildProcess(Executables.helper, ["work-many", db, "jobs", "200", "2000"])
        }
        _ = try queue.put(contentsOf: (0..<2_000).map { OutgoingMessage("job \($0)") })
        for worker in workers {
            let result = worker.wait()
            #expect(result.status == 0, "\(result.stderrText)")
            // One inotify instance per process, and no thread per slot.
            let numbers = result.stdoutText.split(whereSeparator: { !$0.isNumber }).compactMap { Int(String($0)) }
            #expect(numbers.count == 2 && numbers[0] == 1 && numbers[1] < 60, "\(result.stdoutText)")
        }
        #expect(try Store(path: db).counter("handled").get() == 2_000)
        #expect(try queue.count() == 0)
        #expect(try queue.deadLetters().isEmpty)
    }

    @Test("async lock: times out while another holder has it, then a waiting withLock runs async work once it is let go")
    func asyncLock() async throws {
        let path = directory.file("store.db")
        let lock = try Store(path: path).lock("deploy")
        // Another store's open lock file conflicts as another process's would.
        let held = try await Store(path: path).lock("deploy").lock(timeout: .seconds(10))
        await #expect(throws: DQError.self) { _ = try await lock.lock(timeout: .milliseconds(50)) }
        let waiter = Task {
            try await lock.withLock(timeout: .seconds(20)) {
                try await Task.sleep(for: .milliseconds(1))
                return "ran"
            }
        }
        held.unlock()
        #expect(try await waiter.value == "ran")
    }

    @Test("withLock throws DQError alone when its body throws nothing or only DQError, and body errors pass through as they are")
    func withLockErrorTypes() async throws {
        let store = try Store(path: directory.file("store.db"))
        let lock = try store.lock("deploy")
        let counter = try store.counter("runs")
        // These compile in async code only if synchronous bodies take the async
        // overloads, and `typed` only if those are the `throws(DQError)` ones.
        func typed() async throws(DQError) -> [Int64] {
            [try await lock.withLock { 42 },
             try await lock.withLock { () throws(DQError) in try counter.add(1) }]
        }
        #expect(try await typed() == [42, 1])
        #expect(try await lock.withLock { try counter.add(1) } == 2)
        struct BodyFailed: Error {}
        await #expect(throws: BodyFailed.self) { try await lock.withLock { throw BodyFailed() } }
        // The lock is free again after the body threw.
        #expect(try await lock.withLock(timeout: .zero) { "free" } == "free")
    }

    static func openInotifyInstances() -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.count { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == "anon_inode:inotify" }
    }

    static func threadCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).count
    }
}
