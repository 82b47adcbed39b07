@testable import DurableQueue
import Foundation
import Testing

/// Schedules (`Store.addSchedule`, `dq schedule`): stored, replaced, fired once per tick
/// by any number of processes, on every engine.
@Suite("Schedules")
struct ScheduleTests {
    let directory = TemporaryDirectory()

    /// Moves every schedule's next tick `seconds` into the past, as if nothing had fired
    /// schedules for that long.
    func backdate(_ engine: EngineUnderTest, _ place: String, seconds: Int) throws {
        switch engine {
        case .sqlite:
            let connection = try Connection(path: place, create: false)
            try connection.execute("UPDATE schedules SET next_due = next_due - \(seconds * 1_000_000)")
        case .postgres:
            let changed = PostgresTestServer.count("""
                WITH u AS (UPDATE dq.schedules SET next_due = next_due - interval '\(seconds) seconds' RETURNING 1)
                SELECT count(*) FROM u
                """, on: place)
            #expect(changed > 0)
        }
    }

    @Test("add, list, replace and remove; the same rule keeps its next tick", arguments: EngineUnderTest.allCases)
    func lifecycle(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let added = try store.addSchedule("report", queue: "reports", rule: .every(.seconds(60)), body: Data("v1".utf8))
        #expect(abs(added.nextDue.timeIntervalSinceNow - 60) < 10)
        #expect(added.lastFired == nil)
        try store.addSchedule("alpha", queue: "other", rule: .cron(try CronSchedule(parsing: "0 3 * * *")))
        #expect(try store.schedules().map(\.name) == ["alpha", "report"])

        let replaced = try store.addSchedule("report", queue: "reports2", rule: .every(.seconds(60)), body: Data("v2".utf8))
        #expect(replaced.nextDue == added.nextDue, "the same rule keeps its tick")
        let stored = try #require(try store.schedules().first { $0.name == "report" })
        #expect(stored.queue == "reports2" && stored.body == Data("v2".utf8) && stored.rule == .every(.seconds(60)))

        let changed = try store.addSchedule("report", queue: "reports2", rule: .every(.seconds(3_600)))
        #expect(changed.nextDue > added.nextDue.addingTimeInterval(3_000), "a new rule starts over")

        #expect(try store.removeSchedule("report"))
        #expect(try !store.removeSchedule("report"))
        #expect(try store.schedules().map(\.name) == ["alpha"])
        #expect(throws: DQError.self) { try store.addSchedule("fast", queue: "q", rule: .every(.milliseconds(500))) }
        #expect(throws: DQError.self) { try store.addSchedule("", queue: "q", rule: .every(.seconds(1))) }
    }

    @Test("a due schedule puts once however many ticks it missed, then waits for its next", arguments: EngineUnderTest.allCases)
    func catchUp(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let store = try engine.open(place)
        try store.addSchedule("tick", queue: "ticks", rule: .every(.seconds(1)), body: Data("tick".utf8))
        try store.addSchedule("later", queue: "ticks", rule: .every(.seconds(20)), body: Data("later".utf8))
        #expect(try store.fireDueSchedules().isEmpty, "nothing is due yet")
        try backdate(engine, place, seconds: 30)
        #expect(try Set(store.fireDueSchedules()) == ["tick", "later"])
        #expect(try store.fireDueSchedules().isEmpty, "each tick puts once")
        let ticks = try store.queue("ticks")
        #expect(try ticks.get(limit: 10, timeout: .zero).compactMap(\.text).sorted() == ["later", "tick"])
        let tick = try #require(try store.schedules().first { $0.name == "tick" })
        #expect(tick.nextDue > Date() && tick.nextDue < Date().addingTimeInterval(2), "the next tick after now, on its grid")
        #expect(try #require(tick.lastFired).timeIntervalSinceNow > -10)
        let later = try #require(try store.schedules().first { $0.name == "later" })
        #expect(later.nextDue > Date() && later.nextDue < Date().addingTimeInterval(20), "one tick missed, the next on its grid")
    }

    @Test("run puts now and leaves the ticks as they were", arguments: EngineUnderTest.allCases)
    func runNow(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let added = try store.addSchedule("yearly", queue: "jobs", rule: .cron(try CronSchedule(parsing: "@yearly")),
                                          body: Data([0, 1, 0xFF]))
        #expect(try store.runSchedule("yearly"))
        #expect(try !store.runSchedule("missing"))
        #expect(try store.queue("jobs").get(timeout: .zero)?.body == Data([0, 1, 0xFF]))
        let stored = try #require(try store.schedules().first)
        #expect(stored.nextDue == added.nextDue)
        #expect(stored.lastFired != nil)
    }

    @Test("fireSchedules puts each tick as it falls due, for a schedule added while it waits", arguments: EngineUnderTest.allCases)
    func firesWhenDue(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let store = try engine.open(place)
        let stop = try WaitInterrupt()
        let ended = DispatchSemaphore(value: 0)
        let firer = Thread {
            try? store.fireSchedules(interrupt: stop)
            ended.signal()
        }
        firer.start()
        // The firer waits with no schedule at all: only the add can wake it.
        let channel = WaitSubject.schedules.channel
        #expect(eventually {
            engine == .sqlite ? (try? storedWaiterCount(channel, store: place)) == 1
                              : PostgresTestServer.listeners(on: place, channel: channel) == 1
        })
        try store.addSchedule("tick", queue: "ticks", rule: .every(.seconds(1)), body: Data("tick".utf8))
        let ticks = try store.queue("ticks")
        #expect(try ticks.get(timeout: .seconds(10))?.text == "tick")
        #expect(try ticks.get(timeout: .seconds(10))?.text == "tick", "and the tick after")
        stop.signal()
        #expect(ended.wait(timeout: .now() + 10) == .success)
    }

    @Test("Queue.work fires schedules; the async loop ends when cancelled", arguments: EngineUnderTest.allCases)
    func workFires(engine: EngineUnderTest) async throws {
        let store = try engine.open(engine.place(in: directory))
        try store.addSchedule("tick", queue: "ticks", rule: .every(.seconds(1)), body: Data("tick".utf8))
        let worker = Task { try await store.queue("jobs").work { _ in } }
        #expect(try await store.queue("ticks").get(timeout: .seconds(10))?.text == "tick")
        worker.cancel()
        try await worker.value
        let firer = Task { try await store.fireSchedules() }
        firer.cancel()
        try await firer.value
    }
}

/// `dq schedule` and the processes that fire schedules, as real processes.
@Suite("Schedule commands")
struct ScheduleCommandTests {
    let directory = TemporaryDirectory()

    @Test("3 processes firing an every-1s schedule for 5 s put 5 ± 1 messages", arguments: EngineUnderTest.allCases)
    func exactlyOncePerTick(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["schedule", "add", "tick", "ticks", "--every", "1s", "t", "--db", db]).status == 0)
        let added = Date()
        let firers = try (0..<3).map { _ in try ChildProcess(Executables.dq, ["schedule", "run-due", "--follow", "--db", db]) }
        // The window under test is time itself: five ticks pass.
        Thread.sleep(until: added.addingTimeInterval(5.5))
        for firer in firers { kill(firer.pid, SIGTERM) }
        let results = firers.map { $0.wait() }
        for result in results { #expect(result.status == 0 || result.status == 128 + SIGTERM, "\(result.stderrText)") }
        let count = Int(try dq(["len", "ticks", "--db", db]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect((4...6).contains(count), "\(count) puts")
        let printed = results.map { $0.stdoutText.split(separator: "\n").count }
        #expect(printed.reduce(0, +) == count, "each put was fired by one process: \(printed)")
    }

    @Test("dq worker fires schedules", arguments: EngineUnderTest.allCases)
    func workerFires(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["schedule", "add", "tick", "ticks", "--every", "1s", "--db", db], stdin: Data("from stdin".utf8)).status == 0)
        let worker = try ChildProcess(Executables.dq, ["worker", "jobs", "--db", db, "--", "true"])
        defer { kill(worker.pid, SIGTERM); _ = worker.wait() }
        let got = try dq(["get", "ticks", "--timeout", "10s", "--db", db])
        #expect(got.status == 0)
        #expect(got.stdoutText == "from stdin\n")
    }

    @Test("list, run and remove; bad rules exit 64 naming what is wrong", arguments: EngineUnderTest.allCases)
    func commands(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let added = try dq(["schedule", "add", "nightly", "reports", "--cron", "0 3 * * mon-fri", "full", "--db", db])
        #expect(added.status == 0)
        #expect(added.stdoutText.hasSuffix("T03:00:00.000000Z\n") || TimeZone.current.secondsFromGMT() != 0)
        let listed = try dq(["schedule", "list", "--json", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: listed.stdout) as? [String: Any])
        #expect(object["name"] as? String == "nightly")
        #expect(object["queue"] as? String == "reports")
        #expect(object["rule"] as? String == "0 3 * * mon-fri")
        #expect(object["body"] as? String == "full")
        #expect(object["last_fired"] is NSNull)
        #expect((object["next_due"] as? String)?.hasSuffix("Z") == true)
        #expect(try dq(["schedule", "list", "--db", db]).stdoutText.hasPrefix("NAME"))

        #expect(try dq(["schedule", "run", "nightly", "--db", db]).status == 0)
        #expect(try dq(["get", "reports", "--no-wait", "--db", db]).stdoutText == "full\n")
        #expect(try dq(["schedule", "run", "missing", "--db", db]).status == 1)
        #expect(try dq(["schedule", "remove", "nightly", "--db", db]).status == 0)
        #expect(try dq(["schedule", "remove", "nightly", "--db", db]).status == 1)
        #expect(try dq(["schedule", "list", "--db", db]).stdoutText == "")

        for (arguments, message) in [
            (["--cron", "0 25 * * *"], "dq: cron '0 25 * * *': hour: 25 is not in 0–23"),
            (["--cron", "*/5 * * *"], "dq: cron '*/5 * * *' has 4 fields"),
            (["--cron", "0 0 * * funday"], "day-of-week: 'funday' is not a number or a name (sun–sat)"),
            (["--every", "500ms"], "dq: a schedule's interval must be at least 1s"),
            ([], "say when it ticks: --every D or --cron"),
            (["--every", "1s", "--cron", "@daily"], "give --every or --cron, not both"),
        ] {
            let result = try dq(["schedule", "add", "bad", "q", "x", "--db", db] + arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderrText.contains(message), "\(result.stderrText)")
        }
        #expect(try dq(["schedule", "list", "--db", db]).stdoutText == "", "nothing bad was added")
    }
}
