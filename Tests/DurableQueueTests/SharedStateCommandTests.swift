import Foundation
import Testing
@testable import DurableQueue
import DurableQueuePostgres

/// `kv drop`, `list drop`, `counter drop`, `event drop`, `kv set --if-absent`, `kv cas`
/// and `pipe send` / `pipe recv`, run as real `dq` processes (and against the library).
@Suite("Shared state from the shell")
struct SharedStateCommandTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    /// `dq stats --json` as an object.
    func stats(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try dq(["stats", "--json", "--db", db])
        #expect(result.status == 0, "\(result.stderrText)", sourceLocation: sourceLocation)
        return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], sourceLocation: sourceLocation)
    }

    /// A `dq` process started with `arguments` (and `--db`), once it sleeps on a doorbell:
    /// it has the shared waiter counts open, which a wait maps as it starts to sleep.
    func waiter(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildProcess {
        let child = try ChildProcess(Executables.dq, arguments + ["--db", db])
        #expect(eventually { process(child.pid, waitsOn: db, sqliteFile: db + "-wake/waiters") }, "\(arguments) waits", sourceLocation: sourceLocation)
        return child
    }

    // MARK: Drop

    @Test("kv drop: every key gone from stats, a blocked kv wait --changed woken (exit 1: removed); again: exit 1", arguments: EngineUnderTest.allCases)
    func kvDrop(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        for (dict, key) in [("d", "a"), ("d", "b"), ("other", "a")] {
            #expect(try dq(["kv", "set", dict, key, "1", "--db", db]).status == 0)
        }
        let changed = try waiter(["kv", "wait", "d", "a", "--changed", "--timeout", "20s"])
        let drop = try dq(["kv", "drop", "d", "--db", db])
        #expect(drop.status == 0 && drop.stdout.isEmpty && drop.stderr.isEmpty, "\(drop.stderrText)")
        let woken = changed.wait(timeout: .seconds(10))
        #expect(woken.status == 1 && woken.stdout.isEmpty && woken.stderr.isEmpty, "\(woken.stderrText)")
        #expect(try stats()["dicts"] as? [String: Int] == ["other": 1])
        #expect(try dq(["kv", "keys", "d", "--db", db]).stdout.isEmpty)
        #expect(try dq(["kv", "get", "other", "a", "--db", db]).stdoutText == "1\n")
        let again = try dq(["kv", "drop", "d", "--db", db])
        #expect(again.status == 1 && again.stdout.isEmpty && again.stderr.isEmpty)
    }

    @Test("list and counter drop: gone from stats, a counter reads 0 and its blocked wait 0 is woken; again: exit 1", arguments: EngineUnderTest.allCases)
    func listAndCounterDrop(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["list", "append", "l", "x", "y", "--db", db]).status == 0)
        #expect(try dq(["list", "append", "kept", "z", "--db", db]).status == 0)
        #expect(try dq(["counter", "set", "c", "--db", db, "--", "-3"]).status == 0)
        #expect(try dq(["counter", "add", "kept", "--db", db]).status == 0)
        let barrier = try waiter(["counter", "wait", "c", "0", "--timeout", "20s"])
        #expect(try dq(["list", "drop", "l", "--db", db]).status == 0)
        #expect(try dq(["counter", "drop", "c", "--db", db]).status == 0)
        let woken = barrier.wait(timeout: .seconds(10))
        #expect(woken.status == 0 && woken.stdoutText == "0\n", "\(woken.stderrText)")
        let object = try stats()
        #expect(object["lists"] as? [String: Int] == ["kept": 1])
        #expect(object["counters"] as? [String: Int] == ["kept": 1])
        #expect(try dq(["list", "len", "l", "--db", db]).stdoutText == "0\n")
        #expect(try dq(["counter", "get", "c", "--db", db]).stdoutText == "0\n")
        #expect(try dq(["list", "drop", "l", "--db", db]).status == 1)
        #expect(try dq(["counter", "drop", "c", "--db", db]).status == 1)
        #expect(try dq(["counter", "drop", "never", "--db", db]).status == 1)
    }

    @Test("event drop: a set event is clear again; a blocked event wait goes on waiting until the next set", arguments: EngineUnderTest.allCases)
    func eventDrop(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["event", "set", "e", "--db", db]).status == 0)
        #expect(try dq(["event", "drop", "e", "--db", db]).status == 0)
        #expect(try dq(["event", "is-set", "e", "--db", db]).status == 1)
        #expect(try dq(["event", "drop", "e", "--db", db]).status == 1)
        #expect(try dq(["event", "clear", "e", "--db", db]).status == 0)
        let waiting = try waiter(["event", "wait", "e", "--timeout", "20s"])
        #expect(try dq(["event", "drop", "e", "--db", db]).status == 0)
        #expect(try dq(["event", "set", "e", "--db", db]).status == 0)
        let woken = waiting.wait(timeout: .seconds(10))
        #expect(woken.status == 0, "\(woken.stderrText)")
    }

    @Test("drop rings the doorbell of each dict key, counter and event it removed, and nothing when nothing was there")
    func dropRings() throws {
        let store = try Store(path: db)
        let bells = store.sqlite.doorbells
        let subjects: [WaitSubject] = [.dictKey(dict: "d", key: "a"), .dictKey(dict: "d", key: "b"), .counter("c"), .event("e")]
        let watches = try subjects.map { subject in
            let channel = SQLiteEngine.channel(for: subject)
            bells.willWait(on: channel)
            return try InotifyWatch(path: bells.bell(for: channel))
        }
        /// Whether each watch rang (and drains it).
        func rang(within timeout: Duration) -> [Bool] {
            watches.map { watch in
                defer { watch.drain() }
                return watch.wait(timeout: timeout, interrupt: nil) == .rang
            }
        }
        #expect(try store.dict("d").drop() == 0)
        #expect(try !store.counter("c").drop())
        #expect(try !store.event("e").drop())
        #expect(rang(within: .milliseconds(50)) == [false, false, false, false])
        try store.dict("d").set("a", "1")
        try store.dict("d").set("b", "2")
        try store.counter("c").set(5)
        try store.event("e").clear()
        _ = rang(within: .milliseconds(50))
        #expect(try store.dict("d").drop() == 2)
        #expect(try store.counter("c").drop())
        #expect(try store.event("e").drop())
        #expect(rang(within: .seconds(5)) == [true, true, true, true])
    }

    @Test("drop through the library removes that dict, list, counter or event only, as another store sees it",
          arguments: EngineUnderTest.allCases)
    func libraryDrop(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let store = try engine.open(place)
        for name in ["a", "b"] {
            try store.dict(name).set("k", "v")
            try store.list(name).append(contentsOf: [Data("1".utf8), Data("2".utf8)])
            try store.counter(name).add(7)
            try store.event(name).set()
        }
        #expect(try store.dict("a").drop() == 1)
        #expect(try store.list("a").drop() == 2)
        #expect(try store.counter("a").drop())
        #expect(try store.event("a").drop())
        let other = try engine.open(place)
        #expect(try other.dict("a").items().isEmpty && other.list("a").count() == 0)
        #expect(try other.counter("a").get() == 0 && !other.event("a").isSet())
        #expect(try other.dict("b").get("k") == Data("v".utf8) && other.list("b").count() == 2)
        #expect(try other.counter("b").get() == 7 && other.event("b").isSet())
        let stats = try other.stats()
        #expect(stats.dicts == ["b": 1] && stats.lists == ["b": 2] && stats.counters == ["b": 7])
    }

    // MARK: Compare and set

    @Test("kv set --if-absent: sets an absent key; exit 1, nothing printed and the value kept when it exists", arguments: EngineUnderTest.allCases)
    func setIfAbsent(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let first = try dq(["kv", "set", "d", "leader", "-", "--if-absent", "--db", db], stdin: Data([0, 0xFF, 10]))
        #expect(first.status == 0 && first.stdout.isEmpty && first.stderr.isEmpty, "\(first.stderrText)")
        let second = try dq(["kv", "set", "d", "leader", "me", "--if-absent", "--db", db])
        #expect(second.status == 1 && second.stdout.isEmpty && second.stderr.isEmpty, "\(second.stderrText)")
        #expect(try dq(["kv", "get", "d", "leader", "--db", db, "--raw"]).stdout == Data([0, 0xFF, 10]))
        #expect(try dq(["kv", "set", "d", "leader", "me", "--db", db]).status == 0, "without --if-absent: replaced")
        #expect(try dq(["kv", "get", "d", "leader", "--db", db]).stdoutText == "me\n")
    }

    @Test("kv cas: sets only from EXPECTED; exit 1 and unchanged on another value or an absent key; one racer of four wins", arguments: EngineUnderTest.allCases)
    func compareAndSet(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["kv", "cas", "d", "k", "x", "y", "--db", db]).status == 1, "absent")
        #expect(try dq(["kv", "keys", "d", "--db", db]).stdout.isEmpty)
        #expect(try dq(["kv", "set", "d", "k", "v1", "--db", db]).status == 0)
        let miss = try dq(["kv", "cas", "d", "k", "v0", "v2", "--db", db])
        #expect(miss.status == 1 && miss.stdout.isEmpty && miss.stderr.isEmpty, "\(miss.stderrText)")
        #expect(try dq(["kv", "get", "d", "k", "--db", db]).stdoutText == "v1\n")
        let hit = try dq(["kv", "cas", "d", "k", "v1", "-", "--db", db], stdin: Data([0xFE, 0]))
        #expect(hit.status == 0 && hit.stdout.isEmpty && hit.stderr.isEmpty, "\(hit.stderrText)")
        #expect(try dq(["kv", "get", "d", "k", "--db", db, "--raw"]).stdout == Data([0xFE, 0]))
        #expect(try dq(["kv", "cas", "d", "k", "-", "v3", "--db", db], stdin: Data([0xFE, 0])).status == 0, "EXPECTED from stdin")
        let racers = try (0..<4).map { index in
            try ChildProcess(Executables.dq, ["kv", "cas", "d", "k", "v3", "winner \(index)", "--db", db])
        }
        let statuses = racers.map { $0.wait().status }
        #expect(statuses.sorted() == [0, 1, 1, 1], "\(statuses)")
        let winner = try #require(statuses.firstIndex(of: 0))
        #expect(try dq(["kv", "get", "d", "k", "--db", db]).stdoutText == "winner \(winner)\n")
        let both = try dq(["kv", "cas", "d", "k", "-", "-", "--db", db])
        #expect(both.status == 64 && both.stderrText.hasPrefix("dq: ") && both.stderrText.contains("only one"), "\(both.stderrText)")
    }

    // MARK: Pipe

    @Test("pipe between dq processes: both directions in order, binary bodies intact, an end never gets its own", arguments: EngineUnderTest.allCases)
    func pipeBetweenCommands(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["pipe", "send", "p", "--end", "first", "one", "two", "--db", db]).status == 0)
        #expect(try dq(["pipe", "send", "p", "--end", "second", "back", "--db", db]).status == 0)
        let binary = Data([0, 1, 0xFF, 10, 0, 13])
        #expect(try dq(["pipe", "send", "p", "--end", "second", "--db", db], stdin: binary).status == 0)
        #expect(try dq(["pipe", "recv", "p", "--end", "second", "--no-wait", "--db", db]).stdoutText == "one\n")
        #expect(try dq(["pipe", "recv", "p", "--end", "second", "--no-wait", "--db", db]).stdoutText == "two\n")
        #expect(try dq(["pipe", "recv", "p", "--end", "second", "--no-wait", "--db", db]).status == 1, "its own are not looped back")
        #expect(try dq(["pipe", "recv", "p", "--end", "first", "--no-wait", "--db", db]).stdoutText == "back\n")
        let json = try dq(["pipe", "recv", "p", "--end", "first", "--json", "--no-wait", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(object["body_base64"] as? String == binary.base64EncodedString())
        #expect(object["queue"] as? String == "p")
        #expect(try dq(["pipe", "send", "p", "--end", "first", "--db", db], stdin: binary).status == 0)
        #expect(try dq(["pipe", "recv", "p", "--end", "second", "--no-wait", "--db", db, "--raw"]).stdout == binary)
        #expect(try dq(["len", "p", "--db", db]).stdoutText == "0\n", "a pipe is no queue of that name")
    }

    @Test("pipe between dq and the library's Pipe, both ways; a blocked recv is woken by a library send", arguments: EngineUnderTest.allCases)
    func pipeWithLibrary(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let store = try Store.open(db)
        let first = try store.pipe("chat", end: .first)
        let second = try store.pipe("chat", end: .second)
        #expect(try dq(["pipe", "send", "chat", "--end", "first", "to second", "--db", db]).status == 0)
        #expect(try second.receive(timeout: .zero)?.text == "to second")
        try second.send(Data([0xFF, 0]))
        #expect(try dq(["pipe", "recv", "chat", "--end", "first", "--no-wait", "--db", db, "--raw"]).stdout == Data([0xFF, 0]))
        let blocked = try waiter(["pipe", "recv", "chat", "--end", "second", "--timeout", "20s"])
        try first.send("wake up")
        let woken = blocked.wait(timeout: .seconds(10))
        #expect(woken.status == 0 && woken.stdoutText == "wake up\n", "\(woken.stderrText)")
        #expect(try dq(["pipe", "send", "chat", "--end", "second", "a", "b", "--db", db]).status == 0)
        #expect(try [first.receive(timeout: .zero)?.text, first.receive(timeout: .zero)?.text] == ["a", "b"])
    }

    @Test("pipe drop deletes what is still in the pipe both ways (exit 1 when nothing was); dq queues never lists a pipe's queues", arguments: EngineUnderTest.allCases)
    func pipeDrop(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["pipe", "send", "p", "--end", "first", "to-second", "--db", db]).status == 0)
        #expect(try dq(["pipe", "send", "p", "--end", "second", "to-first", "--db", db]).status == 0)
        #expect(try dq(["put", "jobs", "x", "--db", db]).status == 0)
        #expect(try dq(["queues", "--db", db]).stdoutText == "jobs\n")
        #expect(try dq(["queues", "--json", "--db", db]).stdoutText.split(separator: "\n").count == 1)
        let dropped = try dq(["pipe", "drop", "p", "--db", db])
        #expect(dropped.status == 0 && dropped.stdout.isEmpty && dropped.stderr.isEmpty)
        for end in ["first", "second"] {
            #expect(try dq(["pipe", "recv", "p", "--end", end, "--no-wait", "--db", db]).status == 1, "\(end): nothing left")
        }
        #expect(!(try dq(["stats", "--db", db]).stdoutText.contains("pipe")))
        #expect(try dq(["pipe", "drop", "p", "--db", db]).status == 1)
        #expect(try dq(["get", "jobs", "--no-wait", "--db", db]).stdoutText == "x\n", "other queues untouched")
    }

    @Test("pipe recv: exit 1 with nothing printed on timeout; usage errors exit 64 with one line", arguments: EngineUnderTest.allCases)
    func pipeErrors(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let start = ContinuousClock.now
        let timedOut = try dq(["pipe", "recv", "p", "--end", "first", "--timeout", "200ms", "--db", db])
        #expect(timedOut.status == 1 && timedOut.stdout.isEmpty && timedOut.stderr.isEmpty, "\(timedOut.stderrText)")
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        for arguments in [["pipe", "recv", "p", "--timeout", "1s"], ["pipe", "send", "p", "--end", "middle", "x"],
                          ["pipe", "recv", "p", "--end", "first", "--no-wait", "--timeout", "1s"],
                          ["pipe", "send", "", "--end", "first", "x"], ["pipe", "p", "send"]] {
            let result = try dq(arguments + ["--db", db])
            #expect(result.status == 64 && result.stderrLines.count == 1 && result.stderrText.hasPrefix("dq: "),
                    "\(arguments): \(result.status) \(result.stderrText)")
        }
    }
}
