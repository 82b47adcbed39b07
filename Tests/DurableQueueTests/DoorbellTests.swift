import Foundation
import Synchronization
import Testing
@testable import DurableQueue

@Suite("Doorbells")
struct DoorbellTests {
    let directory = TemporaryDirectory()

    @Test("a ring wakes the watchers of that queue only")
    func ringsOnlyItsQueue() throws {
        let bells = Doorbells(storePath: directory.file("store.db"))
        let watchA = try InotifyWatch(path: bells.bell(for: "a"))
        let watchB = try InotifyWatch(path: bells.bell(for: "b"))
        bells.willWait(on: "a")
        bells.willWait(on: "b")
        #expect(try bells.bell(for: "a") != bells.bell(for: "b"))
        bells.ring("a")
        #expect(watchA.wait(timeout: .seconds(5), interrupt: nil) == .rang)
        #expect(watchB.wait(timeout: .milliseconds(50), interrupt: nil) == .timedOut)
        watchA.drain()
        #expect(watchA.wait(timeout: .milliseconds(50), interrupt: nil) == .timedOut, "drained")
    }

    @Test("a stream's groups share one bell, rung once per publish, that wakes a blocked subscriber of each group")
    func streamGroupsShareABell() throws {
        let path = directory.file("streams.db")
        let store = try Store.open(path)
        let stream = try store.stream("events")
        let groups = try ["billing", "mail", "audit"].map { try stream.group($0) }
        let bells = Doorbells(storePath: path)
        let shared = try Set(groups.map { try bells.bell(for: $0.queue.name) })
        #expect(shared.count == 1, "one bell for every group of the stream")
        #expect(try shared.first != bells.bell(for: try store.stream("other").group("billing").queue.name))
        #expect(try shared.first != bells.bell(for: "events"), "a queue named as the stream keeps its own bell")
        let received = Mutex<[String: ContinuousClock.Instant]>([:])
        for group in groups {
            Thread {
                if (try? group.get(timeout: .seconds(10)))?.first != nil {
                    received.withLock { $0[group.name] = ContinuousClock.now }
                }
            }.start()
        }
        // Published once all three wait: each wakes on the ring, not the 1 s safety re-check.
        #expect(eventually { groups.allSatisfy { store.sqlite.waiterCount(on: $0.queue.name) == 1 } })
        let published = ContinuousClock.now
        try stream.publish(Data("x".utf8))
        #expect(eventually { received.withLock { $0.count } == 3 }, "every group's subscriber got the entry")
        let late = received.withLock { $0.filter { $0.value - published > .milliseconds(700) } }
        #expect(late.isEmpty, "woken by the safety re-check, not the ring: \(late.keys.sorted())")
    }

    @Test("a bell rung before the wait is not lost")
    func ringBeforeWait() throws {
        let bells = Doorbells(storePath: directory.file("store.db"))
        let watch = try InotifyWatch(path: bells.bell(for: "q"))
        bells.willWait(on: "q")
        bells.ring("q")
        #expect(watch.wait(timeout: .seconds(5), interrupt: nil) == .rang)
    }

    @Test("nobody waiting: no ring (a put costs no system call); a waiter: rung")
    func ringsOnlyWhenSomeoneWaits() throws {
        let bells = Doorbells(storePath: directory.file("store.db"))
        let watch = try InotifyWatch(path: bells.bell(for: "q"))
        bells.ring("q")
        #expect(watch.wait(timeout: .milliseconds(50), interrupt: nil) == .timedOut)
        // Another process's bells share the counts through the mapped file.
        let otherProcess = Doorbells(storePath: directory.file("store.db"))
        otherProcess.willWait(on: "q")
        bells.ring("q")
        #expect(watch.wait(timeout: .seconds(5), interrupt: nil) == .rang)
        watch.drain()
        otherProcess.doneWaiting(on: "q")
        bells.ring("q")
        #expect(watch.wait(timeout: .milliseconds(50), interrupt: nil) == .timedOut)
    }

    @Test("an interrupt ends the wait, and stays signalled until reset")
    func interrupt() throws {
        let bells = Doorbells(storePath: directory.file("store.db"))
        let watch = try InotifyWatch(path: bells.bell(for: "q"))
        let interrupt = try WaitInterrupt()
        #expect(!interrupt.isSignalled)
        interrupt.signal()
        #expect(watch.wait(timeout: .seconds(5), interrupt: interrupt.fileDescriptor) == .interrupted)
        #expect(interrupt.isSignalled)
        interrupt.reset()
        #expect(!interrupt.isSignalled)
    }

    @Test("bell names are hashes: queue names never become path fragments")
    func bellNames() throws {
        let bells = Doorbells(storePath: directory.file("store.db"))
        let path = try bells.bell(for: "../../etc/passwd")
        #expect(path.hasPrefix(directory.file("store.db-wake/")))
        #expect(path.split(separator: "/").last?.count == 16)
    }

    @Test("bells and waiter slots are named by FNV-1a of the name's UTF-8, as every dq process names them")
    func bellHash() {
        // Reference values computed outside Swift; processes of different dq builds share bells.
        #expect(Doorbells.hash("") == 0xCBF2_9CE4_8422_2325)
        #expect(Doorbells.hash("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(Doorbells.hash("bench") == 0xD7E5_AC5E_896D_1D39)
        #expect(Doorbells.hash("caf\u{E9}\u{1}stream") == 0x7891_7006_3A58_1F08)
        #expect(Doorbells.hexHash("a") == "af63dc4c8601ec8c")
    }

    @Test("a put rings the queue's bell")
    func putRings() throws {
        let store = try Store(path: directory.file("store.db"))
        let watch = try InotifyWatch(path: store.sqlite.doorbells.bell(for: "q"))
        store.sqlite.doorbells.willWait(on: "q")
        try store.queue("other").put("x")
        #expect(watch.wait(timeout: .milliseconds(50), interrupt: nil) == .timedOut)
        try store.queue("q").put("x")
        #expect(watch.wait(timeout: .seconds(5), interrupt: nil) == .rang)
    }

    @Test("a sweep that returns a dead holder's leases rings their queue's bell, whichever queue the sweeping reader reads")
    func sweepRingsReturnedLeases() throws {
        let db = directory.file("store.db")
        #expect(try dq(["put", "a", "precious", "--db", db]).status == 0)
        let holder = try ChildProcess(Executables.helper, ["hold", db, "a"])
        let waiter = try Store(path: db)
        #expect(eventually { ((try? waiter.stats().queues.first { $0.name == "a" }?.leased) ?? 0) == 1 })
        kill(holder.pid, SIGKILL)
        _ = holder.wait(timeout: .seconds(10))
        let watch = try InotifyWatch(path: waiter.sqlite.doorbells.bell(for: "a"))
        waiter.sqlite.doorbells.willWait(on: "a")
        // Another process's first look, on another queue, sweeps.
        #expect(try dq(["get", "b", "--timeout", "0", "--db", db]).status == 1)
        #expect(watch.wait(timeout: .seconds(5), interrupt: nil) == .rang)
        #expect(try waiter.queue("a").get(timeout: .zero)?.text == "precious")
    }

    @Test("an early ring (before the commit) happens only for a lone waiter; after the commit, rung again only if a reader arrived")
    func earlyRing() throws {
        let bells = Doorbells(storePath: directory.file("store.db"))
        let first = try InotifyWatch(path: bells.bell(for: "q"))
        let second = try InotifyWatch(path: bells.bell(for: "q"))

        // Nobody waits: neither rings.
        let none = bells.ringBeforeCommit("q")
        bells.ringAfterCommit("q", early: none)
        #expect(first.wait(timeout: .milliseconds(50), interrupt: nil) == .timedOut)

        // One waiter: rung before the commit, and not again after it.
        bells.willWait(on: "q")
        let early = bells.ringBeforeCommit("q")
        #expect(first.wait(timeout: .seconds(5), interrupt: nil) == .rang)
        first.drain()
        bells.ringAfterCommit("q", early: early)
        #expect(first.wait(timeout: .milliseconds(50), interrupt: nil) == .timedOut)

        // A second reader starts waiting between the early ring and the commit (its
        // look may have missed the uncommitted message): rung again after the commit.
        let again = bells.ringBeforeCommit("q")
        #expect(second.wait(timeout: .seconds(5), interrupt: nil) == .rang)
        first.drain()
        second.drain()
        bells.willWait(on: "q")
        bells.ringAfterCommit("q", early: again)
        #expect(second.wait(timeout: .seconds(5), interrupt: nil) == .rang)
        second.drain()

        // Two waiters: no early ring (a woken reader that is not alone looks with a read
        // transaction, which would not see the uncommitted message); rung after the commit.
        first.drain()
        let shared = bells.ringBeforeCommit("q")
        #expect(first.wait(timeout: .milliseconds(50), interrupt: nil) == .timedOut)
        bells.ringAfterCommit("q", early: shared)
        #expect(first.wait(timeout: .seconds(5), interrupt: nil) == .rang)

        // One leaves and another arrives in between (still one waiter): rung again.
        bells.doneWaiting(on: "q")
        first.drain()
        let swapped = bells.ringBeforeCommit("q")
        #expect(first.wait(timeout: .seconds(5), interrupt: nil) == .rang)
        first.drain()
        bells.doneWaiting(on: "q")
        bells.willWait(on: "q")
        bells.ringAfterCommit("q", early: swapped)
        #expect(first.wait(timeout: .seconds(5), interrupt: nil) == .rang)
    }

    @Test("a SIGKILLed waiter's count is cleared by the next process to map the counts, only when no other has them mapped")
    func staleCountCleared() throws {
        let db = directory.file("store.db")
        let live = try ChildProcess(Executables.dq, ["get", "live", "--db", db, "--timeout", "60s"])
        defer { kill(live.pid, SIGKILL); _ = live.wait() }
        let killed = try ChildProcess(Executables.dq, ["get", "q", "--db", db, "--timeout", "60s"])
        #expect(eventually { (try? storedWaiterCount("q", store: db)) == 1 && (try? storedWaiterCount("live", store: db)) == 1 })
        kill(killed.pid, SIGKILL)
        #expect(killed.wait().status == SIGKILL)
        #expect(try storedWaiterCount("q", store: db) == 1, "the dead reader's count stays")

        // Another process still has the counts mapped: mapping them now changes nothing.
        let whileLive = Doorbells(storePath: db)
        #expect(whileLive.soleWaiter(on: "q"), "(maps the counts) the dead reader still counts")
        #expect(try storedWaiterCount("q", store: db) == 1)
        #expect(try storedWaiterCount("live", store: db) == 1)

        // Once every process that mapped them is gone, the next one starts from zero.
        kill(live.pid, SIGKILL)
        _ = live.wait()
        _ = consume whileLive
        let fresh = Doorbells(storePath: db)
        fresh.willWait(on: "q")
        #expect(fresh.soleWaiter(on: "q"))
        #expect(try storedWaiterCount("q", store: db) == 1)
        #expect(try storedWaiterCount("live", store: db) == 0)
    }

    @Test("a ring already queued when a wait looks is reported to the look as a ring, not drained away unseen")
    func queuedRingReachesTheLook() throws {
        let store = try Store(path: directory.file("store.db"))
        // A first wait leaves its watch in place (idle) for the next.
        _ = try store.sqlite.reactor().wait(on: "q", timeout: .milliseconds(1), interrupt: nil) { (_: Bool) throws(DQError) -> WaitStep<Int> in
            .notYet(until: nil)
        }
        // A put rings before the next wait looks (as a put that rings a lone reader
        // before its commit may, between the reader counting itself and its drain).
        let otherProcess = Doorbells(storePath: directory.file("store.db"))
        otherProcess.willWait(on: "q")
        otherProcess.ring("q")
        otherProcess.doneWaiting(on: "q")
        var told: [Bool] = []
        _ = try store.sqlite.reactor().wait(on: "q", timeout: .seconds(1), interrupt: nil) { rang throws(DQError) -> WaitStep<Int> in
            told.append(rang)
            return .done(1)
        }
        // Told so, a lone reader takes with a write transaction, which sees the commit.
        #expect(told == [true])
    }
}
