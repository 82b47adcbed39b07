@testable import DurableQueue
import Foundation
import Testing

/// Work limits (`WorkLimits`, `dq worker --max-running --rate`): shared by every
/// consumer of a queue in every process, on every engine.
@Suite("Work limits")
struct WorkLimitTests {
    let directory = TemporaryDirectory()

    @Test("a running limit leases only while fewer are held; settling frees a place", arguments: EngineUnderTest.allCases)
    func runningLimit(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("jobs")
        try queue.put(contentsOf: (0..<10).map { OutgoingMessage("job \($0)") })
        let limits = WorkLimits(maxRunning: 2)
        let first = try queue.receive(lease: .seconds(60), limit: 5, timeout: .zero, limits: limits)
        #expect(first.count == 2)
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero, limits: limits).isEmpty, "both places are taken")
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero).count == 1, "a consumer without the limit is not held back")
        // An ack riding on the next receive frees its place for that receive.
        let next = try queue.receive(lease: .seconds(60), limit: 5, timeout: .zero, acking: [first[0].receipt], limits: limits)
        #expect(next.count == 1)
        try queue.release(first[1].receipt)
        try queue.nack(next[0].receipt, delay: .seconds(60))
        #expect(try queue.receive(lease: .seconds(60), limit: 5, timeout: .zero, limits: limits).count == 2)
        #expect(throws: DQError.self) { try queue.receive(lease: .seconds(1), limits: WorkLimits(maxRunning: 0)) }
    }

    @Test("a drained queue leaves no limit rows behind once the store is closed (SQLite)")
    func drainedLeavesNoRows() throws {
        let path = directory.file("limits.db")
        do {
            let queue = try Store(path: path).queue("jobs")
            try queue.put(contentsOf: (0..<3).map { OutgoingMessage("job \($0)") })
            let limits = WorkLimits(maxRunning: 5, rate: try WorkLimits.Rate(1_000, per: .seconds(1)))
            var done: [Receipt] = []
            while let leased = try queue.receive(lease: .seconds(60), timeout: .seconds(5), acking: done, limits: limits).first {
                done = [leased.receipt]
                if try queue.count() == 0 { try queue.ack(leased.receipt); break }
            }
            #expect(try queue.count() == 0)
            // The rate's row limits the next lease for one interval (1 ms): let it pass.
            Thread.sleep(forTimeInterval: 0.005)
        }
        let connection = try Connection(path: path, create: false)
        #expect(try connection.scalarInt("SELECT count(*) FROM running") == 0)
        #expect(try connection.scalarInt("SELECT count(*) FROM rates") == 0)
    }

    @Test("a rate spaces leases evenly, waiting for the next start", arguments: EngineUnderTest.allCases)
    func rate(engine: EngineUnderTest) throws {
        let queue = try engine.open(engine.place(in: directory)).queue("jobs")
        try queue.put(contentsOf: (0..<5).map { OutgoingMessage("job \($0)") })
        let limits = WorkLimits(rate: try WorkLimits.Rate(parsing: "5/s"))
        #expect(try queue.receive(lease: .seconds(60), limit: 5, timeout: .zero, limits: limits).count == 1, "one per start")
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero, limits: limits).isEmpty, "the next start is 200 ms on")
        let clock = ContinuousClock()
        let start = clock.now
        let later = try queue.receive(lease: .seconds(60), timeout: .seconds(10), limits: limits)
        #expect(later.count == 1)
        #expect(clock.now - start >= .milliseconds(150), "waited for its start")
        #expect(try WorkLimits.Rate(parsing: "100/m").interval == .milliseconds(600))
        for bad in ["0/s", "5", "5/d", "x/s", "/s"] { #expect(throws: DQError.self) { try WorkLimits.Rate(parsing: bad) } }
    }

    @Test("a killed worker's running place is freed as its leases are", arguments: EngineUnderTest.allCases)
    func killedWorkerFreesItsPlace(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let started = directory.file("started")
        #expect(try dq(["put", "jobs", "a", "b", "--db", db]).status == 0)
        let worker = try ChildProcess(Executables.dq, [
            "worker", "jobs", "--max-running", "1", "--db", db, "--", "sh", "-c", "touch \(started); exec sleep 100",
        ])
        #expect(eventually { FileManager.default.fileExists(atPath: started) })
        let queue = try engine.open(db).queue("jobs")
        #expect(try queue.receive(lease: .seconds(60), timeout: .zero, limits: WorkLimits(maxRunning: 1)).isEmpty)
        kill(worker.pid, SIGKILL)
        _ = worker.wait()
        let clock = ContinuousClock()
        let start = clock.now
        let freed = try queue.receive(lease: .seconds(60), limit: 2, timeout: .seconds(10), limits: WorkLimits(maxRunning: 1))
        #expect(freed.count == 1)
        #expect(clock.now - start < .seconds(5), "freed within about a second")
    }

    @Test("--max-running 2 across 3 workers: never 3 commands at once, as the commands count", arguments: EngineUnderTest.allCases)
    func maxRunningAcrossWorkers(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let seen = directory.file("seen")
        #expect(try dq(["put", "jobs", "--lines", "--db", db], stdin: Data((0..<20).map { "job \($0)\n" }.joined().utf8)).status == 0)
        let script = """
            n=$(dq counter add running --db '\(db)'); echo "$n" >> '\(seen)'; sleep 0.1
            dq counter add running -1 --db '\(db)' > /dev/null
            """
        let workers = try (0..<3).map { _ in
            try ChildProcess(Executables.dq, ["worker", "jobs", "-j", "2", "--max-running", "2", "--exit-when-empty",
                                              "--db", db, "--", "sh", "-c", script],
                             environment: ["PATH": Executables.directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")])
        }
        for worker in workers { #expect(worker.wait().status == 0) }
        let counts = try String(contentsOfFile: seen, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        #expect(counts.count == 20, "every job ran once")
        #expect(counts.max() == 2, "at most 2 at once, and 2 reached: \(counts)")
        #expect(try dq(["len", "jobs", "--db", db]).stdoutText == "0\n")
    }

    @Test("--rate 20/s across 3 workers: 100 jobs take at least 4.5 s", arguments: EngineUnderTest.allCases)
    func rateAcrossWorkers(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["put", "jobs", "--lines", "--db", db], stdin: Data((0..<100).map { "job \($0)\n" }.joined().utf8)).status == 0)
        let clock = ContinuousClock()
        let start = clock.now
        let workers = try (0..<3).map { _ in
            try ChildProcess(Executables.dq, ["worker", "jobs", "-j", "2", "--rate", "20/s", "--exit-when-empty",
                                              "--db", db, "--", "true"])
        }
        for worker in workers { #expect(worker.wait(timeout: .seconds(120)).status == 0) }
        let took = clock.now - start
        #expect(took >= .milliseconds(4_500), "took \(took)")
        #expect(try dq(["len", "jobs", "--db", db]).stdoutText == "0\n")
    }
}
