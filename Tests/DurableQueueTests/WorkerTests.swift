import Foundation
import Testing

/// `dq worker`, run as a real process, with real commands.
@Suite("dq worker")
struct WorkerTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: directory.file(file), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func stop(_ worker: ChildProcess, within bound: Duration = .seconds(10)) -> ProcessResult {
        kill(worker.pid, SIGTERM)
        return worker.wait(timeout: bound)
    }

    @Test("runs the command per message with the body on stdin and DQ_* in the environment; exit 0 acks", arguments: EngineUnderTest.allCases)
    func processes(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        for body in ["one", "two", "three"] { _ = try dq(["put", "q", body, "--db", db]) }
        let out = directory.file("out")
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "-j", "2", "--db", db, "--",
            "sh", "-c", "printf '%s %s %s\\n' \"$DQ_QUEUE\" \"$DQ_ATTEMPT\" \"$(cat)\" >> \(out)"])
        #expect(eventually { lines("out").count == 3 })
        // Nothing leased any more: the drained queue is not listed.
        #expect(eventually { (try? dq(["stats", "--json", "--db", db]).stdoutText.contains("\"queues\":[]")) == true })
        let result = stop(worker)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(Set(lines("out")) == ["q 1 one", "q 1 two", "q 1 three"])
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "0\n")
    }

    @Test("a command that exits without reading its input succeeds: the worker is not killed by SIGPIPE", arguments: EngineUnderTest.allCases)
    func commandIgnoringInput(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        // More than a pipe holds: the body's write is still under way when `true` exits.
        let body = String(repeating: "x", count: 1 << 20)
        #expect(try dq(["put", "q", "--db", db], stdin: Data(body.utf8)).status == 0)
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "--exit-when-empty", "--db", db, "--", "true"])
        let result = worker.wait(timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "0\n", "acked")
    }

    @Test("a failing command is retried with backoff, then dead-lettered", arguments: EngineUnderTest.allCases)
    func failures(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "poison", "--db", db])
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "--max-attempts", "2", "--backoff", "50ms",
                                                       "--db", db, "--", "sh", "-c", "cat >/dev/null; exit 3"])
        #expect(eventually { (try? dq(["dead", "q", "--db", db]).stdoutText) == "poison\n" })
        #expect(stop(worker).status == 0)
    }

    @Test("SIGTERM: a long command gets the grace period, is killed, and its message stays in the queue uncounted", arguments: EngineUnderTest.allCases)
    func gracefulStop(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "long job", "--db", db])
        let pidFile = directory.file("pid")
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "--grace", "1s", "--db", db, "--",
                                                       "sh", "-c", "echo $$ > \(pidFile); exec sleep 30"])
        #expect(eventually { !lines("pid").isEmpty })
        let start = ContinuousClock.now
        let result = stop(worker)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(ContinuousClock.now - start < .seconds(2) + .milliseconds(500), "grace + 1 s at most")
        let child = Int32(lines("pid")[0])!
        #expect(eventually { kill(child, 0) != 0 }, "the command is gone")
        let leased = try dq(["get", "q", "--lease", "30s", "--json", "--no-wait", "--db", db])
        let object = try JSONSerialization.jsonObject(with: leased.stdout) as? [String: Any]
        #expect(object?["body"] as? String == "long job")
        #expect(object?["attempt"] as? Int == 1, "the interrupted run did not count")
    }

    @Test("a worker killed with SIGKILL leaves no command behind, and its message comes back promptly", arguments: EngineUnderTest.allCases)
    func killedWorker(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "precious", "--db", db])
        let pidFile = directory.file("pid")
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "--lease", "60s", "--db", db, "--",
                                                       "sh", "-c", "echo $$ > \(pidFile); exec sleep 30"])
        #expect(eventually { !lines("pid").isEmpty })
        kill(worker.pid, SIGKILL)
        _ = worker.wait()
        let killed = ContinuousClock.now
        let child = Int32(lines("pid")[0])!
        #expect(eventually(timeout: .seconds(5)) { kill(child, 0) != 0 }, "the command died with the worker")
        let again = try dq(["get", "q", "--timeout", "10s", "--db", db], timeout: .seconds(20))
        #expect(again.stdoutText == "precious\n")
        #expect(ContinuousClock.now - killed < .seconds(3))
    }

    @Test("a job whose first runner's grandchild still runs is not run again, and comes back once it exits", arguments: EngineUnderTest.allCases)
    func leaseCoversProcessTree(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "job", "--db", db])
        let grandchild = directory.file("grandchild")
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "--lease", "60s", "--db", db, "--", "sh", "-c",
                                                       grandchildScript(writingPIDTo: grandchild)])
        #expect(eventually { !lines("grandchild").isEmpty })
        let pid = try #require(Int32(lines("grandchild")[0]))
        kill(worker.pid, SIGKILL)
        _ = worker.wait()
        #expect(kill(pid, 0) == 0, "the grandchild outlived the worker")
        let early = try dq(["get", "q", "--lease", "30s", "--json", "--timeout", "1500ms", "--db", db])
        #expect(early.status == 1, "redelivered while the grandchild ran: \(early.stdoutText)")
        kill(pid, SIGKILL)
        let again = try dq(["get", "q", "--timeout", "10s", "--db", db], timeout: .seconds(20))
        #expect(again.stdoutText == "job\n", "back once the grandchild is gone")
    }

    @Test("at the end of the grace period the command's whole process group is killed", arguments: EngineUnderTest.allCases)
    func graceKillsProcessGroup(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "job", "--db", db])
        let background = directory.file("background")
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "--grace", "500ms", "--db", db, "--", "sh", "-c",
                                                       "sleep 30 & echo $! > \(background); wait"])
        #expect(eventually { !lines("background").isEmpty })
        let pid = try #require(Int32(lines("background")[0]))
        #expect(stop(worker).status == 0)
        #expect(eventually(timeout: .seconds(5)) { kill(pid, 0) != 0 }, "the command's background sleep was killed")
    }

    @Test("removing PATH-holders while a worker runs a job hands its message to nobody else")
    func holderFilesRemoved() throws {
        _ = try dq(["put", "q", "busy", "--db", db])
        let started = directory.file("started")
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "--lease", "60s", "--db", db, "--",
                                                       "sh", "-c", "touch \(started); exec sleep 30"])
        defer { kill(worker.pid, SIGKILL); _ = worker.wait() }
        #expect(eventually { FileManager.default.fileExists(atPath: started) })
        try FileManager.default.removeItem(atPath: db + "-holders")
        // A missing holder file is no sign of a dead holder: the lease stands.
        let other = try dq(["get", "q", "--lease", "30s", "--json", "--no-wait", "--db", db])
        #expect(other.status == 1, "redelivered: \(other.stdoutText)")
    }

    @Test("the lease is extended while the command runs: a second slot never gets the message", arguments: EngineUnderTest.allCases)
    func extendsLease(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "slow", "--db", db])
        let out = directory.file("starts")
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "-j", "2", "--lease", "300ms", "--db", db, "--",
                                                       "sh", "-c", "echo start >> \(out); cat >/dev/null; sleep 1.2"])
        #expect(eventually { (try? dq(["stats", "--json", "--db", db]).stdoutText.contains("\"queues\":[]")) == true && !lines("starts").isEmpty })
        #expect(stop(worker).status == 0)
        #expect(lines("starts") == ["start"])
    }

    @Test("usage: a command is required")
    func usage() throws {
        let result = try dq(["worker", "q", "--db", db])
        #expect(result.status == 64 && result.stderrText.hasPrefix("dq: "))
    }
}
