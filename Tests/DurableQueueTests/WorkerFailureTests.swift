import Foundation
import Testing

/// `dq worker` failing loudly: a command that cannot run, failed attempts and dead
/// letters on stderr, `--timeout`, `--exit-when-empty`, and what `dq dead --json` keeps.
/// Real `dq worker` processes with real commands.
@Suite("dq worker failures")
struct WorkerFailureTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: directory.file(file), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// `dq dead QUEUE --json`, one object per line.
    func deadLetters(_ queue: String = "q") throws -> [[String: Any]] {
        let result = try dq(["dead", queue, "--json", "--db", db])
        return try result.stdoutText.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// Puts `body` on queue q; returns its id.
    func put(_ body: String) throws -> String {
        let result = try dq(["put", "q", body, "--json", "--db", db])
        let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        return try #require(object?["id"] as? String, "\(result.stdoutText)")
    }

    /// Runs a worker with `--exit-when-empty` to its end.
    func drain(_ options: [String], _ command: [String], timeout: Duration = .seconds(30)) throws -> ProcessResult {
        try dq(["worker", "q", "--exit-when-empty", "--db", db] + options + ["--"] + command, timeout: timeout)
    }

    @Test("a command that is not found: one dq: line, exit 127, and no message taken", arguments: EngineUnderTest.allCases)
    func commandNotFound(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "a", "b", "--db", db])
        for command in ["/nonexistent/cmd", "dq-no-such-command"] {
            let result = try dq(["worker", "q", "--max-attempts", "3", "--db", db, "--", command])
            #expect(result.status == 127, "\(command): \(result.stderrText)")
            #expect(result.stderrLines.count == 1 && result.stderrLines.first?.hasPrefix("dq: cannot run \(command): ") == true,
                    "\(result.stderrText)")
        }
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "2\n", "both messages still there, neither delivered")
        #expect(try dq(["peek", "q", "--json", "-n", "2", "--db", db]).stdoutText.components(separatedBy: "\"attempt\":1").count == 3)
    }

    @Test("a command that is not executable, or a directory: exit 126, no message taken; dq lock says the same", arguments: EngineUnderTest.allCases)
    func commandNotExecutable(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "a", "--db", db])
        let script = directory.file("script.sh")
        try "#!/bin/sh\nexit 0\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: script)
        for command in [script, directory.path] {
            let result = try dq(["worker", "q", "--db", db, "--", command])
            #expect(result.status == 126, "\(command): \(result.stderrText)")
            #expect(result.stderrLines.count == 1 && result.stderrLines.first?.hasPrefix("dq: cannot run ") == true)
        }
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "1\n")
        #expect(try dq(["lock", "L", "--db", db, "--", script]).status == 126)
        #expect(try dq(["lock", "L", "--db", db, "--", "dq-no-such-command"]).status == 127)
        // Searched in PATH as execvp does: a non-executable match is passed over for a later one.
        let bin = directory.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: script, toPath: bin + "/true")
        let found = try dq(["lock", "L", "--db", db, "--", "true"], environment: ["PATH": bin + ":/usr/bin:/bin"])
        #expect(found.status == 0, "\(found.stderrText)")
        let refused = try dq(["lock", "L", "--db", db, "--", "true"], environment: ["PATH": bin])
        #expect(refused.status == 126, "\(refused.stderrText)")
    }

    @Test("each failed attempt prints one line naming queue, id, attempt and exit status; the last says dead", arguments: EngineUnderTest.allCases)
    func failureLines(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let id = try put("poison")
        let result = try drain(["--max-attempts", "3", "--backoff", "10ms"], ["sh", "-c", "cat >/dev/null; exit 3"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrLines == [
            "dq worker: q \(id): attempt 1 of 3 failed: exit status 3; retrying in 10ms",
            "dq worker: q \(id): attempt 2 of 3 failed: exit status 3; retrying in 20ms",
            "dq worker: q \(id): dead after 3 attempts: exit status 3",
        ])
        let dead = try #require(try deadLetters().first)
        #expect(dead["id"] as? String == id)
        #expect(dead["attempt"] as? Int == 3)
        #expect(dead["last_error"] as? String == "exit status 3")
        #expect(dead["exit_status"] as? Int == 3)
        #expect(dead["signal"] == nil)
        #expect(dead["body"] as? String == "poison")
        let deadAt = try #require(dead["dead_at"] as? String)
        let enqueuedAt = try #require(dead["enqueued_at"] as? String)
        let parsed = try Date(deadAt, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        #expect(abs(parsed.timeIntervalSinceNow) < 600)
        #expect(deadAt > enqueuedAt)
        #expect(try dq(["dead", "q", "--db", db]).stdoutText == "poison\n", "plain dq dead: bodies one per line")
    }

    @Test("a command killed by a signal: the dead-letter line and dq dead --json name the signal", arguments: EngineUnderTest.allCases)
    func killedBySignal(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let id = try put("crash")
        let result = try drain(["--max-attempts", "1"], ["sh", "-c", "kill -KILL $$"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrLines == ["dq worker: q \(id): dead after 1 attempt: killed by SIGKILL"])
        let dead = try #require(try deadLetters().first)
        #expect(dead["last_error"] as? String == "killed by SIGKILL")
        #expect(dead["signal"] as? String == "SIGKILL")
        #expect(dead["exit_status"] == nil)
    }

    @Test("--timeout: a command running past it is stopped with its process group, and the attempt fails as timed out", arguments: EngineUnderTest.allCases)
    func timeout(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let id = try put("slow")
        let background = directory.file("background")
        let result = try drain(["--max-attempts", "2", "--backoff", "10ms", "--timeout", "200ms"],
                               ["sh", "-c", "sleep 30 & echo $! >> \(background); wait"], timeout: .seconds(25))
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrLines == [
            "dq worker: q \(id): attempt 1 of 2 failed: timed out after 200ms (killed by SIGTERM); retrying in 10ms",
            "dq worker: q \(id): dead after 2 attempts: timed out after 200ms (killed by SIGTERM)",
        ])
        let dead = try #require(try deadLetters().first)
        #expect((dead["last_error"] as? String)?.hasPrefix("timed out after 200ms") == true)
        #expect(dead["signal"] as? String == "SIGTERM")
        let pids = lines("background").compactMap { Int32($0) }
        #expect(pids.count == 2)
        #expect(eventually(timeout: .seconds(5)) { pids.allSatisfy { kill($0, 0) != 0 } }, "each background sleep was killed with its group")
    }

    @Test("--timeout: a command that ignores SIGTERM gets SIGKILL once --grace is over", arguments: EngineUnderTest.allCases)
    func timeoutThenKill(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "stubborn", "--db", db])
        let result = try drain(["--max-attempts", "1", "--timeout", "100ms", "--grace", "300ms"],
                               ["sh", "-c", "trap '' TERM; sleep 30"], timeout: .seconds(25))
        #expect(result.status == 0, "\(result.stderrText)")
        let dead = try #require(try deadLetters().first)
        #expect(dead["last_error"] as? String == "timed out after 100ms (killed by SIGKILL)")
        #expect(dead["signal"] as? String == "SIGKILL")
    }

    @Test("--exit-when-empty: exits 0 once every message is handled, several slots at once", arguments: EngineUnderTest.allCases)
    func exitWhenEmpty(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        for index in 1...6 { _ = try dq(["put", "q", "m\(index)", "--db", db]) }
        let out = directory.file("out")
        // One write per line (printf of a short line): concurrent commands' lines do not mix.
        let result = try drain(["-j", "3"], ["sh", "-c", "printf '%s\\n' \"$(cat)\" >> \(out)"])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderrText)")
        #expect(Set(lines("out")) == Set((1...6).map { "m\($0)" }))
        #expect(try dq(["stats", "--json", "--db", db]).stdoutText.contains("\"queues\":[]"), "nothing left, leased or not")
    }

    @Test("--exit-when-empty waits out the backoff of a message it failed, not a message delayed by its producer", arguments: EngineUnderTest.allCases)
    func exitWhenEmptyWaitsForOwnRetries(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["put", "q", "flaky", "--db", db])
        _ = try dq(["put", "q", "later", "--delay", "1h", "--db", db])
        let out = directory.file("out")
        let result = try drain(["--backoff", "300ms"],
                               ["sh", "-c", "[ \"$DQ_ATTEMPT\" -ge 2 ] || exit 1; cat >> \(out); echo >> \(out)"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(lines("out") == ["flaky"], "the retry ran before the worker exited")
        #expect(result.stderrLines.count == 1 && result.stderrLines.first?.contains("attempt 1 of 5 failed: exit status 1; retrying in 300ms") == true,
                "\(result.stderrText)")
        let stats = try dq(["stats", "--json", "--db", db]).stdoutText
        #expect(stats.contains("\"delayed\":1"), "the delayed message is still there: \(stats)")
    }

    @Test("--exit-when-empty on an empty queue exits 0 at once", arguments: EngineUnderTest.allCases)
    func exitWhenEmptyAtOnce(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let result = try drain([], ["true"], timeout: .seconds(10))
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderrText)")
    }

    @Test("usage: --timeout must be positive")
    func timeoutUsage() throws {
        let result = try dq(["worker", "q", "--timeout", "0s", "--db", db, "--", "true"])
        #expect(result.status == 64 && result.stderrText.hasPrefix("dq: "), "\(result.stderrText)")
    }
}
