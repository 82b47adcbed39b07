import DurableQueue
import Foundation
import Testing

/// Request/reply: `Queue.call` / `dq call` against `Queue.respond` / `dq worker`, on
/// every engine, with real processes where processes matter.
@Suite("Request/reply")
struct CallTests {
    let directory = TemporaryDirectory()

    @Test("call gets the reply respond gives, body and status, binary-safe", arguments: EngineUnderTest.allCases)
    func callAndRespond(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let queue = try store.queue("echo")
        let responder = Thread {
            _ = try? queue.respond(timeout: .seconds(30)) { request in
                #expect(request.expectsReply)
                return Reply(Data("got:".utf8) + request.body, status: 7)
            }
        }
        responder.start()
        let body = Data([0, 1, 2, 0xFF, 0])
        let reply = try #require(try queue.call(body, timeout: .seconds(30)))
        #expect(reply.status == 7)
        #expect(reply.body == Data("got:".utf8) + body)
        #expect(try queue.count() == 0)
        #expect(try store.stats().queues.isEmpty, "the request and its reply leave nothing behind")
    }

    @Test("async call and async respond", arguments: EngineUnderTest.allCases)
    func asyncCallAndRespond(engine: EngineUnderTest) async throws {
        let store = try engine.open(engine.place(in: directory))
        let queue = try store.queue("upper")
        let responder = Task {
            try await queue.respond(concurrency: 2) { request in Reply((request.text ?? "").uppercased()) }
        }
        defer { responder.cancel() }
        let replies = try await withThrowingTaskGroup(of: (Int, Reply?).self) { group in
            for index in 0..<6 {
                group.addTask { (index, try await queue.call(Data("call \(index)".utf8), timeout: .seconds(30))) }
            }
            var replies: [Int: Reply?] = [:]
            for try await (index, reply) in group { replies[index] = reply }
            return replies
        }
        for index in 0..<6 { #expect(replies[index]??.text == "CALL \(index)") }
    }

    @Test("a call with no responder times out with nil; its request waits, marked as one", arguments: EngineUnderTest.allCases)
    func timeout(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("nobody")
        #expect(try queue.call("anyone?", timeout: .milliseconds(200)) == nil)
        let request = try #require(try queue.get(timeout: .zero))
        #expect(request.text == "anyone?")
        #expect(request.expectsReply)
        try queue.put("plain")
        #expect(try queue.get(timeout: .zero)?.expectsReply == false)
    }

    @Test("a reply with a stale receipt is refused and sends nothing", arguments: EngineUnderTest.allCases)
    func staleReply(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let queue = try store.queue("jobs")
        let caller = Thread { _ = try? queue.call("x", timeout: .seconds(2)) }
        caller.start()
        let leased = try #require(try queue.receive(lease: .seconds(30), timeout: .seconds(30)).first)
        try queue.release(leased.receipt)
        #expect(throws: DQError.self) { try queue.reply(Reply("late"), to: leased) }
        #expect(try store.stats().queues.map(\.name) == ["jobs"], "no reply was put")
        #expect(throws: DQError.self) { try queue.reply(Reply("bad", status: 256), to: leased) }
    }

    @Test("3 workers answer 20 concurrent dq calls, each its own reply", arguments: EngineUnderTest.allCases)
    func workersAnswerCalls(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let workers = try (0..<3).map { _ in
            try ChildProcess(Executables.dq, ["worker", "svc", "--db", db, "--", "sh", "-c", "printf 'reply:'; cat"])
        }
        defer { for worker in workers { kill(worker.pid, SIGTERM); _ = worker.wait() } }
        let calls = try (0..<20).map { index in
            try ChildProcess(Executables.dq, ["call", "svc", "body-\(index)", "--timeout", "30s", "--db", db])
        }
        for (index, call) in calls.enumerated() {
            let result = call.wait()
            #expect(result.status == 0, "call \(index): \(result.stderrText)")
            #expect(result.stdoutText == "reply:body-\(index)")
        }
        // The command's exit status is the call's; stdin as the body.
        let pending = try ChildProcess(Executables.dq, ["call", "fails", "--db", db], stdin: Data("from stdin".utf8))
        #expect(eventually { (try? dq(["len", "fails", "--db", db]).stdoutText) == "1\n" })
        let failing = try ChildProcess(Executables.dq, ["worker", "fails", "--db", db, "--exit-when-empty", "--", "sh", "-c", "cat; exit 3"])
        let call = pending.wait()
        #expect(call.status == 3)
        #expect(call.stdoutText == "from stdin")
        #expect(failing.wait().status == 0)
        #expect(try dq(["call", "nobody", "x", "--timeout", "200ms", "--db", db]).status == 1)
    }

    @Test("300 calls leave one doorbell for their caller, and the responder keeps no descriptor per call")
    func oneBellPerCaller() throws {
        let path = directory.file("bells.db")
        let queue = try Store(path: path).queue("echo")
        let answering = Thread {
            for _ in 0..<300 { _ = try? queue.respond(timeout: .seconds(30)) { Reply($0.body) } }
        }
        let descriptors = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        let before = descriptors()
        answering.start()
        for index in 0..<300 {
            #expect(try queue.call("call \(index)", timeout: .seconds(30))?.text == "call \(index)")
        }
        let counters: Set = ["waiters", "traffic", "deliveries"]
        let bells = try FileManager.default.contentsOfDirectory(atPath: path + "-wake").filter { !counters.contains($0) }
        #expect(bells.count <= 2, "bells: \(bells)")
        #expect(descriptors() - before < 50, "descriptors grew by \(descriptors() - before)")
    }

    @Test("a caller SIGKILLed mid-call leaves no reply behind", arguments: EngineUnderTest.allCases)
    func deadCaller(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let started = directory.file("started")
        let caller = try ChildProcess(Executables.dq, ["call", "slow", "hello", "--db", db])
        #expect(eventually { (try? dq(["len", "slow", "--db", db]).stdoutText) == "1\n" })
        let worker = try ChildProcess(Executables.dq, [
            "worker", "slow", "--db", db, "--exit-when-empty", "--", "sh", "-c", "touch \(started); sleep 1; cat",
        ])
        #expect(eventually { FileManager.default.fileExists(atPath: started) })
        kill(caller.pid, SIGKILL)
        _ = caller.wait()
        #expect(worker.wait().status == 0)
        // Any reader's sweep finds the caller gone (here a one-shot get).
        #expect(try dq(["get", "other", "--no-wait", "--db", db]).status == 1)
        let stats = try #require(try JSONSerialization.jsonObject(with: dq(["stats", "--json", "--db", db]).stdout) as? [String: Any])
        let queues = (stats["queues"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(queues.isEmpty, "left behind: \(queues)")
    }
}
