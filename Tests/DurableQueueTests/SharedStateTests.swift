import DurableQueue
import DurableQueuePostgres
import Foundation
import Testing

/// Dict, list, counter, lock and event, used by several real processes at once.
@Suite("Shared state between processes")
struct SharedStateTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    /// Runs `script` in `sh` with `$DQ` naming the dq binary and `$DB` the store.
    func shell(_ script: String) throws -> ChildProcess {
        try ChildProcess("/bin/sh", ["-c", script], environment: ["DQ": Executables.dq, "DB": db])
    }

    func finish(_ processes: [ChildProcess], sourceLocation: SourceLocation = #_sourceLocation) {
        for process in processes {
            let result = process.wait(timeout: .seconds(120))
            #expect(result.status == 0, "\(result.stderrText)", sourceLocation: sourceLocation)
        }
    }

    @Test("4 processes × 250 counter add: exactly 1000", arguments: EngineUnderTest.allCases)
    func counter(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["counter", "get", "c", "--db", db])
        finish(try (0..<4).map { _ in
            try shell("i=0; while [ $i -lt 250 ]; do \"$DQ\" counter add c --db \"$DB\" >/dev/null || exit 1; i=$((i+1)); done")
        })
        #expect(try dq(["counter", "get", "c", "--db", db]).stdoutText == "1000\n")
    }

    @Test("two processes writing dict keys, two appending to a list: nothing lost, each one's order kept", arguments: EngineUnderTest.allCases)
    func dictAndList(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["counter", "get", "c", "--db", db])
        finish(try ["a", "b"].map { prefix in
            try shell("i=0; while [ $i -lt 40 ]; do \"$DQ\" kv set d \(prefix)$i $i --db \"$DB\" && \"$DQ\" list append l \(prefix)$i --db \"$DB\" || exit 1; i=$((i+1)); done")
        })
        let keys = try dq(["kv", "keys", "d", "--db", db]).stdoutText.split(separator: "\n")
        #expect(keys.count == 80)
        #expect(try dq(["kv", "get", "d", "b39", "--db", db]).stdoutText == "39\n")
        let items = try dq(["list", "items", "l", "--db", db]).stdoutText.split(separator: "\n").map(String.init)
        #expect(items.count == 80)
        for prefix in ["a", "b"] {
            #expect(items.filter { $0.hasPrefix(prefix) } == (0..<40).map { "\(prefix)\($0)" })
        }
    }

    @Test("4 processes doing read-modify-write of a plain file under dq lock: no lost update", arguments: EngineUnderTest.allCases)
    func lockedReadModifyWrite(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let file = directory.file("count")
        try "0".write(toFile: file, atomically: true, encoding: .utf8)
        finish(try (0..<4).map { _ in
            try shell("i=0; while [ $i -lt 25 ]; do \"$DQ\" lock file --db \"$DB\" -- sh -c 'n=$(cat \(file)); echo $((n+1)) > \(file)' || exit 1; i=$((i+1)); done")
        })
        #expect(try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "100")
    }

    @Test("a grandchild of a SIGKILLed dq lock holder keeps the lock until it exits")
    func lockCoversProcessTree() throws {
        let grandchild = directory.file("grandchild")
        let holder = try ChildProcess(Executables.dq, ["lock", "L", "--db", db, "--", "sh", "-c",
                                                       grandchildScript(writingPIDTo: grandchild)])
        #expect(eventually { (try? String(contentsOfFile: grandchild, encoding: .utf8))?.hasSuffix("\n") == true })
        let pid = try #require(Int32((try String(contentsOfFile: grandchild, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(holder.pid, SIGKILL)
        _ = holder.wait()
        #expect(kill(pid, 0) == 0, "the grandchild outlived dq lock")
        let busy = try dq(["lock", "L", "--timeout", "300ms", "--db", db, "--", "true"])
        #expect(busy.status == 75, "a second holder got in while the first one's grandchild ran")
        kill(pid, SIGKILL)
        #expect(eventually(timeout: .seconds(5)) { kill(pid, 0) != 0 })
        let start = ContinuousClock.now
        #expect(try dq(["lock", "L", "--timeout", "5s", "--db", db, "--", "true"]).status == 0)
        #expect(ContinuousClock.now - start < .seconds(2), "free once the grandchild is gone")
    }

    @Test("dq lock exits with the command's status, and 75 when the lock stays taken", arguments: EngineUnderTest.allCases)
    func lockStatus(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["lock", "L", "--db", db, "--", "sh", "-c", "exit 7"]).status == 7)
        let pidFile = directory.file("pid")
        let holder = try ChildProcess(Executables.dq, ["lock", "L", "--db", db, "--", "sh", "-c", "echo $$ > \(pidFile); exec sleep 30"])
        #expect(eventually { FileManager.default.fileExists(atPath: pidFile) })
        let busy = try dq(["lock", "L", "--timeout", "200ms", "--db", db, "--", "true"])
        #expect(busy.status == 75 && busy.stderrText.hasPrefix("dq: lock L"))
        // SIGKILL the holder: the kernel frees the lock, and its command dies with it.
        let killed = ContinuousClock.now
        kill(holder.pid, SIGKILL)
        _ = holder.wait()
        let child = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        #expect(eventually(timeout: .seconds(5)) { kill(child, 0) != 0 }, "the command died with dq lock")
        #expect(try dq(["lock", "L", "--timeout", "5s", "--db", db, "--", "true"]).status == 0)
        #expect(ContinuousClock.now - killed < .seconds(2), "free at once: taken \(ContinuousClock.now - killed) after the SIGKILL")
    }

    @Test("kv wait, counter wait and event wait wake when another process changes the value", arguments: EngineUnderTest.allCases)
    func waits(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["counter", "get", "c", "--db", db])
        let kvWaiter = try ChildProcess(Executables.dq, ["kv", "wait", "d", "ready", "--timeout", "20s", "--db", db])
        let counterWaiter = try ChildProcess(Executables.dq, ["counter", "wait", "c", "3", "--timeout", "20s", "--db", db])
        let eventWaiter = try ChildProcess(Executables.dq, ["event", "wait", "go", "--timeout", "20s", "--db", db])
        for waiter in [kvWaiter, counterWaiter, eventWaiter] { #expect(eventually { process(waiter.pid, waitsOn: db, sqliteFile: db) }) }
        _ = try dq(["kv", "set", "d", "ready", "yes", "--db", db])
        for _ in 0..<3 { _ = try dq(["counter", "add", "c", "--db", db]) }
        _ = try dq(["event", "set", "go", "--db", db])
        let kv = kvWaiter.wait(timeout: .seconds(10))
        #expect(kv.status == 0 && kv.stdoutText == "yes")
        let counter = counterWaiter.wait(timeout: .seconds(10))
        #expect(counter.status == 0 && counter.stdoutText == "3\n")
        #expect(eventWaiter.wait(timeout: .seconds(10)).status == 0)
        #expect(try dq(["event", "is-set", "go", "--db", db]).status == 0)
        _ = try dq(["event", "clear", "go", "--db", db])
        #expect(try dq(["event", "is-set", "go", "--db", db]).status == 1)
        #expect(try dq(["event", "wait", "go", "--timeout", "200ms", "--db", db]).status == 1)
    }

    @Test("a worker loop stopped gracefully by an event", arguments: EngineUnderTest.allCases)
    func eventStopsWorker(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        for index in 0..<3 { _ = try dq(["put", "jobs", "job \(index)", "--db", db]) }
        let out = directory.file("done")
        let loop = try shell("""
            while ! "$DQ" event is-set stop --db "$DB"; do
                "$DQ" get jobs --timeout 200ms --db "$DB" >> \(out) && echo >> \(out)
            done
            echo stopped >> \(out)
            """)
        #expect(eventually { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").components(separatedBy: "job").count == 4 })
        _ = try dq(["event", "set", "stop", "--db", db])
        finish([loop])
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasSuffix("stopped\n"))
    }

    @Test("library: compare-and-set and an atomic read-modify-write", arguments: EngineUnderTest.allCases)
    func libraryAtomics(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let store = try Store.open(db)
        let dict = try store.dict("config")
        #expect(try dict.compareAndSet("mode", expected: nil, new: Data("a".utf8)))
        #expect(try !dict.compareAndSet("mode", expected: nil, new: Data("b".utf8)))
        #expect(try dict.compareAndSet("mode", expected: Data("a".utf8), new: Data("c".utf8)))
        try dict.set("n", "0")
        for _ in 0..<10 {
            try dict.update("n") { old in Data(String(Int(String(decoding: old ?? Data(), as: UTF8.self))! + 1).utf8) }
        }
        #expect(try dict.get("n") == Data("10".utf8))
        struct Refused: Error {}
        #expect(throws: Refused.self) { try dict.update("n") { _ in throw Refused() } }
        #expect(try dict.get("n") == Data("10".utf8), "a throwing transform writes nothing")
        let list = try store.list("l")
        try list.append(contentsOf: [Data("x".utf8), Data("y".utf8)])
        #expect(try list.pop() == Data("y".utf8))
        #expect(try list.count() == 1)
        let counter = try store.counter("c")
        #expect(try counter.add(5) == 5)
        #expect(try counter.add(-2) == 3)
        #expect(try counter.wait(atLeast: 3, timeout: .zero) == 3)
        #expect(try counter.wait(atLeast: 4, timeout: .milliseconds(50)) == nil)
        let lock = try store.lock("l")
        #expect(try lock.withLock(timeout: .seconds(1)) { 42 } == 42)
        let stats = try store.stats()
        #expect(stats.dicts == ["config": 2] && stats.lists == ["l": 1] && stats.counters == ["c": 3])
        let json = try dq(["stats", "--json", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect((object["counters"] as? [String: Int])?["c"] == 3)
    }
}

@Suite("Pipe")
struct PipeTests {
    let directory = TemporaryDirectory()

    @Test("a parent and a child process talk over a pipe, in order", arguments: EngineUnderTest.allCases)
    func parentAndChild(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let parent = try Store.open(db).pipe("chat", end: .first)
        let child = try ChildProcess(Executables.helper, ["pipe-echo", db, "chat", "50"])
        for index in 0..<50 { try parent.send("hello \(index)") }
        for index in 0..<50 {
            let reply = try #require(try parent.receive(timeout: .seconds(30)))
            #expect(reply.text == "HELLO \(index)")
        }
        #expect(child.wait().status == 0)
        // A message sent from one end is never received by the same end.
        try parent.send("to the child")
        #expect(try parent.receive(timeout: .zero) == nil)
    }
}
