import Foundation
import Testing

/// Blocked readers are woken by the writer's doorbell, never by the once-a-second
/// safety re-check. Bounds here are generous (hundreds of times the usual figure) and
/// still well under the one-second re-check, so only a lost wakeup can miss them.
@Suite("Wakeups")
struct WakeupTests {
    let directory = TemporaryDirectory()

    @Test("3,000 request/reply exchanges between two processes, none waits for the safety re-check")
    func noLostWakeup() throws {
        let db = directory.file("store.db")
        let count = "3000"
        let pong = try ChildProcess(Executables.helper, ["pong", db, count, "5000"])
        let ping = try ChildProcess(Executables.helper, ["ping", db, count, "700"])
        let pinged = ping.wait(timeout: .seconds(120))
        let ponged = pong.wait(timeout: .seconds(120))
        #expect(pinged.status == 0, "ping: \(pinged.stderrText)")
        #expect(ponged.status == 0, "pong: \(ponged.stderrText)")
        let slowest = Int(pinged.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .max
        #expect(slowest < 700_000, "slowest round trip \(slowest) µs")
    }

    @Test("a blocked get wakes for a put to its queue, not for puts to others")
    func wakesOnlyForItsQueue() throws {
        let db = directory.file("store.db")
        _ = try dq(["purge", "q", "--db", db])  // creates the store
        let getter = try ChildProcess(Executables.dq, ["get", "mine", "--timeout", "20s", "--db", db])
        #expect(eventually { process(getter.pid, hasOpen: db) })
        for index in 0..<20 { _ = try dq(["put", "other", "noise \(index)", "--db", db]) }
        #expect(try dq(["len", "other", "--db", db]).stdoutText == "20\n", "the waiter took nothing of another queue")
        _ = try dq(["put", "mine", "for me", "--db", db])
        let result = getter.wait(timeout: .seconds(10))
        #expect(result.status == 0 && result.stdoutText == "for me\n")
    }

    @Test("SIGTERM ends a blocked get at once with status 143 and nothing printed")
    func signalEndsWait() throws {
        let db = directory.file("store.db")
        _ = try dq(["purge", "q", "--db", db])  // creates the store
        let getter = try ChildProcess(Executables.dq, ["get", "q", "--db", db])
        #expect(eventually { process(getter.pid, hasOpen: db) })
        let start = ContinuousClock.now
        kill(getter.pid, SIGTERM)
        let result = getter.wait(timeout: .seconds(10))
        #expect(result.status == 128 + SIGTERM)
        #expect(result.stdout.isEmpty)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("8 processes mixing puts, batch puts, gets, leases with ack or nack, peeks and counts: no error at all")
    func mixedLoad() throws {
        let db = directory.file("store.db")
        _ = try dq(["purge", "mix-0", "--db", db])  // creates the store
        let workers = try (1...8).map { seed in try ChildProcess(Executables.helper, ["mix", db, "4", "\(seed)"]) }
        for worker in workers {
            let result = worker.wait(timeout: .seconds(120))
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.hasPrefix("ops ") && result.stdoutText.contains(" errors 0\n"), "\(result.stdoutText)")
        }
    }
}
