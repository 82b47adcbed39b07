import Foundation
import Testing
@testable import DurableQueue
import DurableQueuePostgres

/// `dq queues`, `drop`, `show`, `delete`, `retry-dead ID…`, `move`, and `peek --follow /
/// --delayed / --leased / --dead`, run as the built binary.
@Suite("Queue admin commands")
struct AdminCommandTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    /// Runs `dq` on the test's store.
    func run(_ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
        try dq(arguments + ["--db", db], stdin: stdin)
    }

    /// Asserts success with exactly `stdout` and nothing on stderr.
    func expectOutput(_ result: ProcessResult, _ stdout: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 0, "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stdoutText == stdout, sourceLocation: sourceLocation)
        #expect(result.stderr.isEmpty, "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
    }

    /// Asserts a failure: the exit status, nothing on stdout unless `stdout` is given, and
    /// exactly one `dq: ` line on stderr containing `text`.
    func expectFailure(_ result: ProcessResult, status: Int32, mentioning text: String, stdout: String = "",
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1 && result.stderrText.hasPrefix("dq: "), "stderr: \(result.stderrText)",
                sourceLocation: sourceLocation)
        #expect(result.stderrText.contains(text), "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stdoutText == stdout, sourceLocation: sourceLocation)
    }

    /// Each line of `text` as a JSON object.
    func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    /// Puts `bodies` on `queue` and returns their ids.
    func put(_ queue: String, _ bodies: [String], _ options: [String] = []) throws -> [String] {
        let result = try run(["put", queue] + bodies + options + ["--json"])
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        return try objects(result.stdoutText).map { $0["id"] as! String }
    }

    /// How many readers wait on `queue`'s doorbell, as the store's shared counts say.
    func waiters(on queue: String) throws -> UInt64 {
        if PostgresAddress.isAddress(db) { return UInt64(max(0, PostgresTestServer.listeners(on: db, channel: queue))) }
        return try storedWaiterCount(queue, store: db)
    }

    /// Makes the next message of `queue` a dead letter; returns its id.
    func bury(_ queue: String) throws -> String {
        let leased = try #require(try objects(run(["get", queue, "--lease", "1m", "--json", "--no-wait"]).stdoutText).first)
        #expect(try run(["nack", queue, leased["receipt"] as! String, "--max-attempts", "1"]).status == 0)
        return leased["id"] as! String
    }

    // MARK: queues, drop

    @Test("queues: one name per line, sorted; --json one object per queue with its counts; nothing for an empty store", arguments: EngineUnderTest.allCases)
    func queues(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        #expect(try run(["queues"]).status == 73, "no store yet: nothing made")
        #expect(try run(["purge", "none"]).status == 0)
        expectOutput(try run(["queues"]), "")
        _ = try put("beta", ["1", "2"])
        _ = try put("beta", ["later"], ["--delay", "1h"])
        _ = try put("alpha", ["x", "y"])
        _ = try bury("alpha")
        _ = try run(["get", "alpha", "--lease", "1m", "--json"])
        expectOutput(try run(["queues"]), "alpha\nbeta\n")
        expectOutput(try run(["queues", "--json"]), """
            {"queue":"alpha","ready":0,"delayed":0,"leased":1,"dead":1}
            {"queue":"beta","ready":2,"delayed":1,"leased":0,"dead":0}

            """)
    }

    @Test("drop: every message and dead letter goes, and the queue is in neither queues nor stats --json", arguments: EngineUnderTest.allCases)
    func drop(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try put("q", ["a", "b", "c"])
        _ = try put("q", ["keyed"], ["--key", "k"])
        _ = try put("q", ["later"], ["--delay", "1h"])
        _ = try bury("q")
        _ = try run(["get", "q", "--lease", "1m", "--json"])
        _ = try put("other", ["stays"])
        expectOutput(try run(["drop", "q", "--json"]), "{\"dropped\":5}\n")
        expectOutput(try run(["queues"]), "other\n")
        let stats = try #require(try JSONSerialization.jsonObject(with: run(["stats", "--json"]).stdout) as? [String: Any])
        #expect((stats["queues"] as? [[String: Any]])?.map { $0["name"] as? String } == ["other"])
        expectOutput(try run(["drop", "q"]), "")
        #expect(try run(["put", "q", "again", "--key", "k", "--json"]).stdoutText.contains("\"duplicate\":false"), "the key is free")
        expectFailure(try run(["drop", "bad\u{7}name"]), status: 64, mentioning: "queue name")
    }

    // MARK: show, delete, retry-dead

    @Test("show: the body raw, or --json with state, due time, lease end; exit 1 for an unknown id, 64 for a bad one", arguments: EngineUnderTest.allCases)
    func show(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let body = Data([0, 0xFF, 10, 0x41])
        let binary = try #require(try objects(run(["put", "q", "--json"], stdin: body).stdoutText).first?["id"] as? String)
        let delayed = try put("q", ["later"], ["--delay", "1h", "--priority", "4"])[0]
        let leasedID = try put("q", ["leased"])[0]
        _ = try run(["get", "q", "--no-wait"])  // takes the binary one: it is gone
        #expect(try run(["show", "q", binary]).status == 1)
        _ = try run(["put", "q", "--json"], stdin: body)
        let leased = try #require(try objects(run(["get", "q", "--lease", "1m", "--json"]).stdoutText).first)
        #expect(leased["id"] as? String == leasedID)

        let raw = try run(["show", "q", delayed])
        #expect(raw.status == 0 && raw.stdoutText == "later" && raw.stderr.isEmpty)
        let later = try #require(try objects(run(["show", "q", delayed, "--json"]).stdoutText).first)
        #expect(later["state"] as? String == "delayed" && later["priority"] as? Int == 4 && later["attempt"] as? Int == 1)
        #expect(later["due_at"] is String && later["leased_until"] == nil && later["enqueued_at"] is String)
        let held = try #require(try objects(run(["show", "q", leasedID, "--json"]).stdoutText).first)
        #expect(held["state"] as? String == "leased" && held["leased_until"] as? String == leased["leased_until"] as? String)
        #expect(held["attempt"] as? Int == 1 && held["due_at"] == nil)
        let ready = try #require(try objects(run(["peek", "q", "--json"]).stdoutText).first?["id"] as? String)
        #expect(try run(["show", "q", ready]).stdout == body)
        #expect(try objects(run(["show", "q", ready, "--json"]).stdoutText).first?["body_base64"] as? String == body.base64EncodedString())

        expectFailure(try run(["show", "q", "1234"]), status: 1, mentioning: "no message 1234 in queue q")
        expectFailure(try run(["show", "q", "abc"]), status: 64, mentioning: "'abc' is not a message id")
        expectFailure(try run(["show", "q", "0"]), status: 64, mentioning: "not a message id")
        expectFailure(try run(["show", "q"]), status: 64, mentioning: "id")
    }

    @Test("show finds a dead letter, with dead_at and the deliveries it had", arguments: EngineUnderTest.allCases)
    func showDead(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try put("q", ["poison"])
        let id = try bury("q")
        let dead = try #require(try objects(run(["show", "q", id, "--json"]).stdoutText).first)
        #expect(dead["state"] as? String == "dead" && dead["dead_at"] is String && dead["attempt"] as? Int == 1)
        #expect(dead["body"] as? String == "poison")
    }

    @Test("delete: removes messages in any state; unknown ids exit 1 named in one line, the others still deleted", arguments: EngineUnderTest.allCases)
    func delete(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let ids = try put("q", ["a", "b", "c"])
        let keyed = try put("q", ["keyed"], ["--key", "k"])[0]
        let delayed = try put("q", ["later"], ["--delay", "1h"])[0]
        let leased = try #require(try objects(run(["get", "q", "--lease", "1m", "--json"]).stdoutText).first)
        let receipt = leased["receipt"] as! String
        expectOutput(try run(["delete", "q", ids[0], ids[2], keyed, delayed, "--json"]), "{\"deleted\":4}\n")
        expectOutput(try run(["peek", "q", "-n", "5"]), "b\n")
        #expect(try run(["peek", "q", "--delayed"]).status == 1)
        #expect(try run(["put", "q", "keyed", "--key", "k", "--json"]).stdoutText.contains("\"duplicate\":false"), "the key is free")
        expectFailure(try run(["ack", "q", receipt]), status: 65, mentioning: "stale")

        expectFailure(try run(["delete", "q", "77", ids[1], "88"]), status: 1, mentioning: "no message 77, 88 in queue q (1 other was deleted)")
        expectOutput(try run(["peek", "q", "-n", "5"]), "keyed\n")
        expectFailure(try run(["delete", "q", "77"]), status: 1, mentioning: "no message 77 in queue q")
        expectFailure(try run(["delete", "q", "x1"]), status: 64, mentioning: "'x1' is not a message id")
        expectFailure(try run(["delete", "q"]), status: 64, mentioning: "id")
    }

    @Test("retry-dead with ids puts back only those dead letters; unknown ids exit 1; without ids, all", arguments: EngineUnderTest.allCases)
    func retryDeadByID(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try put("q", ["one", "two", "three"])
        let dead = try (0..<3).map { _ in try bury("q") }
        expectOutput(try run(["retry-dead", "q", dead[1], "--json"]), "{\"retried\":1}\n")
        expectOutput(try run(["dead", "q"]), "one\nthree\n")
        let back = try #require(try objects(run(["get", "q", "--json", "--no-wait"]).stdoutText).first)
        #expect(back["body"] as? String == "two" && back["id"] as? String == dead[1] && back["attempt"] as? Int == 1)
        expectFailure(try run(["retry-dead", "q", dead[0], "555"]), status: 1, mentioning: "no dead letter 555 in queue q")
        expectOutput(try run(["dead", "q"]), "three\n")
        expectFailure(try run(["retry-dead", "q", "-"]), status: 64, mentioning: "not a message id")
        expectOutput(try run(["retry-dead", "q"]), "")
        expectOutput(try run(["get", "q", "-n", "5", "--no-wait"]), "one\nthree\n")
    }

    // MARK: move

    @Test("move keeps binary bodies, priorities and delivery order; prints the count moved", arguments: EngineUnderTest.allCases)
    func move(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let binary = Data([0xFF, 0, 0xFE, 10])
        _ = try run(["put", "src", "--priority", "2"], stdin: binary)
        _ = try put("src", ["plain"])
        _ = try put("src", ["urgent"], ["--priority", "9"])
        _ = try put("src", ["later"], ["--delay", "1h"])
        expectOutput(try run(["move", "src", "dst"]), "3\n")
        let moved = try objects(run(["get", "dst", "-n", "5", "--json", "--no-wait"]).stdoutText)
        #expect(moved.map { $0["priority"] as? Int } == [9, 2, 0])
        #expect(moved.map { $0["body"] as? String } == ["urgent", nil, "plain"])
        #expect(moved[1]["body_base64"] as? String == binary.base64EncodedString())
        expectOutput(try run(["queues", "--json"]), "{\"queue\":\"src\",\"ready\":0,\"delayed\":1,\"leased\":0,\"dead\":0}\n")
    }

    @Test("move -n N moves at most N; a dedup key DEST holds drops the moved message and says so", arguments: EngineUnderTest.allCases)
    func moveDuplicatesAndLimit(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try put("src", ["k1"], ["--key", "one"])
        _ = try put("src", ["k2"], ["--key", "two"])
        _ = try put("src", ["rest"])
        _ = try put("dst", ["held"], ["--key", "one"])
        let first = try run(["move", "src", "dst", "-n", "2"])
        #expect(first.status == 0 && first.stdoutText == "1\n")
        #expect(first.stderrText == "dq: 1 message dropped: dst already held its dedup key\n")
        expectOutput(try run(["move", "src", "dst", "--json"]), "{\"moved\":1,\"duplicates\":0}\n")
        expectOutput(try run(["get", "dst", "-n", "5", "--no-wait"]), "held\nk2\nrest\n")
        #expect(try run(["put", "dst", "x", "--key", "two", "--json"]).stdoutText.contains("\"duplicate\":false"))
        expectOutput(try run(["move", "src", "dst"]), "0\n")
    }

    @Test("move --dead redrives dead letters with attempts reset; bad arguments exit 64", arguments: EngineUnderTest.allCases)
    func moveDead(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try put("failed", ["p1", "p2"])
        _ = try bury("failed")
        _ = try bury("failed")
        expectOutput(try run(["move", "failed", "jobs", "--dead", "--json"]), "{\"moved\":2,\"duplicates\":0}\n")
        #expect(try run(["dead", "failed"]).status == 1)
        let redriven = try objects(run(["get", "jobs", "-n", "5", "--json", "--no-wait"]).stdoutText)
        #expect(redriven.map { $0["body"] as? String } == ["p1", "p2"] && redriven.allSatisfy { $0["attempt"] as? Int == 1 })
        expectFailure(try run(["move", "q", "q"]), status: 64, mentioning: "same queue")
        expectFailure(try run(["move", "q", "r", "-n", "0"]), status: 64, mentioning: "-n")
        expectFailure(try run(["move", "q", "bad\nname"]), status: 64, mentioning: "queue name")
        expectFailure(try run(["move", "q"]), status: 64, mentioning: "dest")
    }

    // MARK: peek views

    @Test("peek --follow prints what is there, then a put by another process, each once; SIGTERM ends it with 0", arguments: EngineUnderTest.allCases)
    func follow(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try put("q", ["one", "two"])
        let follower = try FollowingProcess(["peek", "q", "--follow", "--db", db])
        #expect(follower.awaitOutput("one\ntwo\n"))
        _ = try put("q", ["three"])
        #expect(follower.awaitOutput("one\ntwo\nthree\n"))
        _ = try run(["get", "q", "-n", "3"])
        _ = try put("q", ["four"])
        #expect(follower.awaitOutput("three\nfour\n"))
        let result = follower.stop(signal: SIGTERM)
        #expect(result.status == 0)
        #expect(result.stdoutText == "one\ntwo\nthree\nfour\n")
        #expect(result.stderr.isEmpty, "stderr: \(result.stderrText)")
        expectOutput(try run(["peek", "q"]), "four\n")
    }

    /// A put rings a lone waiter before its commit; a tail woken then must still see the
    /// message, not wait for the once-a-second safety re-check. 700 ms is hundreds of
    /// times the usual wake-up, and still under the re-check.
    @Test("a lone peek --follow sees each put by another process without waiting for the safety re-check", arguments: EngineUnderTest.allCases)
    func followNoLostWakeup(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try run(["len", "q"])
        let follower = try FollowingProcess(["peek", "q", "--follow", "--db", db])
        var expected = ""
        for round in 0..<30 {
            #expect(eventually { (try? waiters(on: "q")) == 1 }, "the tail waits alone")
            _ = try put("q", ["m\(round)"])
            expected += "m\(round)\n"
            try #require(follower.awaitOutput(expected, timeout: 0.7), "round \(round)")
        }
        #expect(follower.stop(signal: SIGTERM).status == 0)
    }

    @Test("peek --follow --new --json shows only messages put after it started, with their state; SIGINT ends it with 0", arguments: EngineUnderTest.allCases)
    func followNew(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try put("q", ["old"])
        let follower = try FollowingProcess(["peek", "q", "--follow", "--new", "--json", "--db", db])
        // It skips what is there before it waits: once it waits, "old" was skipped.
        #expect(eventually { (try? waiters(on: "q")) == 1 })
        let later = try put("q", ["later"], ["--delay", "1h"])[0]
        #expect(follower.awaitOutput("\"body\":\"later\"}\n"))
        let result = follower.stop(signal: SIGINT)
        #expect(result.status == 0)
        let lines = try objects(result.stdoutText)
        #expect(lines.count == 1 && lines.first?["id"] as? String == later)
        #expect(lines.first?["state"] as? String == "delayed" && lines.first?["due_at"] is String)
    }

    @Test("peek --delayed and --leased list those messages with due time or lease end; exit 1 when there are none", arguments: EngineUnderTest.allCases)
    func delayedAndLeased(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        #expect(try run(["purge", "q"]).status == 0)
        #expect(try run(["peek", "q", "--delayed"]).status == 1)
        let delayed = try put("q", ["soon", "later"], ["--delay", "1h"])
        _ = try put("q", ["now", "held"])
        #expect(try run(["peek", "q", "--leased"]).status == 1)
        _ = try run(["get", "q", "--no-wait"])
        let leased = try #require(try objects(run(["get", "q", "--lease", "1m", "--json"]).stdoutText).first)
        let table = try run(["peek", "q", "--delayed"])
        #expect(table.status == 0 && table.stderr.isEmpty)
        let rows = table.stdoutText.split(separator: "\n")
        #expect(rows.count == 3 && rows[0].hasPrefix("ID") && rows[0].contains("DUE"))
        #expect(rows[1].hasPrefix(delayed[0]) && rows[1].hasSuffix("soon") && rows[2].hasSuffix("later"))
        let json = try objects(run(["peek", "q", "--delayed", "--json", "-n", "1"]).stdoutText)
        #expect(json.count == 1 && json[0]["id"] as? String == delayed[0] && json[0]["due_at"] is String)
        let held = try objects(run(["peek", "q", "--leased", "--json"]).stdoutText)
        #expect(held.count == 1 && held[0]["body"] as? String == "held" && held[0]["attempt"] as? Int == 1)
        #expect(held[0]["leased_until"] as? String == leased["leased_until"] as? String)
        let heldTable = try run(["peek", "q", "--leased"]).stdoutText.split(separator: "\n")
        #expect(heldTable.count == 2 && heldTable[0].contains("LEASED UNTIL") && heldTable[1].hasSuffix("held"))
    }

    @Test("peek --dead lists dead letters as dq dead does; conflicting views exit 64", arguments: EngineUnderTest.allCases)
    func peekDeadAndConflicts(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        #expect(try run(["purge", "q"]).status == 0)
        #expect(try run(["peek", "q", "--dead"]).status == 1)
        _ = try put("q", ["p1", "p2"])
        _ = try bury("q")
        _ = try bury("q")
        expectOutput(try run(["peek", "q", "--dead"]), try run(["dead", "q"]).stdoutText)
        expectOutput(try run(["peek", "q", "--dead", "--json"]), try run(["dead", "q", "--json"]).stdoutText)
        expectFailure(try run(["peek", "q", "--follow", "--delayed"]), status: 64, mentioning: "cannot be combined")
        expectFailure(try run(["peek", "q", "--new"]), status: 64, mentioning: "--new goes with --follow")
        expectFailure(try run(["peek", "q", "--follow", "-n", "2"]), status: 64, mentioning: "-n")
        expectFailure(try run(["peek", "q", "--leased", "-0"]), status: 64, mentioning: "-0")
        // A table is not the stored bytes: --raw has nothing to apply to.
        expectFailure(try run(["peek", "q", "--delayed", "--raw"]), status: 64, mentioning: "--raw")
    }

    @Test("every new command has help with an example", arguments: ["queues", "drop", "show", "delete", "move", "retry-dead", "peek"])
    func help(command: String) throws {
        let help = try dq([command, "--help"])
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("Example"), "\(help.stdoutText)")
    }
}

/// A `dq` process whose standard output is read as it comes, so a test can wait for a
/// line (bounded), then stop it with a signal.
final class FollowingProcess: @unchecked Sendable {
    // @unchecked: `output` and `ended` are guarded by `condition`.
    private let process = Process()
    private let errors = Pipe()
    private let condition = NSCondition()
    private var output = Data()
    private var ended = false

    init(_ arguments: [String]) throws {
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: Executables.dq)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        let handle = out.fileHandleForReading
        let reader = Thread { [self, condition] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty { self.ended = true } else { self.output.append(chunk) }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }
        reader.start()
    }

    /// Waits until standard output ends with `text`, at most `timeout`.
    func awaitOutput(_ text: String, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !String(decoding: output, as: UTF8.self).hasSuffix(text) && !ended {
            if !condition.wait(until: deadline) { break }
        }
        return String(decoding: output, as: UTF8.self).hasSuffix(text)
    }

    /// Sends `signal` and waits (at most 10 s, then SIGKILL) for the process to end.
    func stop(signal: Int32) -> ProcessResult {
        kill(process.processIdentifier, signal)
        let deadline = Date(timeIntervalSinceNow: 10)
        condition.lock()
        while !ended { if !condition.wait(until: deadline) { break } }
        let finished = ended
        condition.unlock()
        if !finished {
            Issue.record("dq still running 10 s after signal \(signal); killed")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        condition.lock()
        defer { condition.unlock() }
        return ProcessResult(status: process.terminationStatus, stdout: output, stderr: stderr)
    }
}
