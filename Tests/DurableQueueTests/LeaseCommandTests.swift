import Foundation
import DurableQueue
import DurableQueuePostgres
import Testing

/// `dq get --lease`, `ack`, `nack`, `extend`, `dead`, `retry-dead`, `purge --dead`.
@Suite("dq leases")
struct LeaseCommandTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    func lease(_ extra: [String] = []) throws -> [String: Any]? {
        let result = try dq(["get", "q", "--lease", "30s", "--json", "--no-wait", "--db", db] + extra)
        guard result.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
    }

    @Test("get --lease --json gives a receipt; ack removes the message; a second ack is stale (65)", arguments: EngineUnderTest.allCases)
    func leaseAck(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "q", "job", "--db", db])
        let leased = try #require(try lease())
        let receipt = try #require(leased["receipt"] as? String)
        #expect(leased["body"] as? String == "job" && leased["attempt"] as? Int == 1)
        #expect(leased["leased_until"] is String)
        #expect(try dq(["get", "q", "--no-wait", "--db", db]).status == 1, "hidden while leased")
        #expect(try dq(["ack", "q", receipt, "--db", db]).status == 0)
        let stale = try dq(["ack", "q", receipt, "--db", db])
        #expect(stale.status == 65)
        #expect(stale.stderrLines.count == 1 && stale.stderrText.hasPrefix("dq: ") && stale.stderrText.contains("stale"))
    }

    @Test("nack returns the message; after --max-attempts it is a dead letter; retry-dead brings it back", arguments: EngineUnderTest.allCases)
    func nackDeadRetry(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "q", "poison", "--db", db])
        for attempt in 1...2 {
            let leased = try #require(try lease(["--max-attempts", "2"]))
            #expect(leased["attempt"] as? Int == attempt)
            #expect(try dq(["nack", "q", leased["receipt"] as! String, "--max-attempts", "2", "--db", db]).status == 0)
        }
        #expect(try lease() == nil)
        let dead = try dq(["dead", "q", "--db", db])
        #expect(dead.status == 0 && dead.stdoutText == "poison\n")
        let stats = try JSONSerialization.jsonObject(with: try dq(["stats", "--json", "--db", db]).stdout) as? [String: Any]
        let queue = (stats?["queues"] as? [[String: Any]])?.first
        #expect(queue?["dead"] as? Int == 1)
        #expect(try dq(["retry-dead", "q", "--json", "--db", db]).stdoutText == "{\"retried\":1}\n")
        #expect(try dq(["dead", "q", "--db", db]).status == 1)
        #expect(try lease()?["body"] as? String == "poison")
    }

    @Test("nack --delay keeps it back; extend keeps a lease; purge --dead empties the dead letters", arguments: EngineUnderTest.allCases)
    func delayAndExtend(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "q", "later", "--db", db])
        let leased = try #require(try lease())
        let receipt = leased["receipt"] as! String
        #expect(try dq(["extend", "q", receipt, "1h", "--db", db]).status == 0)
        #expect(try dq(["nack", "q", receipt, "--delay", "1h", "--db", db]).status == 0)
        #expect(try lease() == nil, "nacked with a delay")
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "0\n")
        #expect(try dq(["purge", "q", "--dead", "--json", "--db", db]).stdoutText == "{\"purged\":0}\n")
    }

    @Test("usage errors: --lease without --json, a malformed receipt", arguments: EngineUnderTest.allCases)
    func usage(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let noJSON = try dq(["get", "q", "--lease", "30s", "--db", db])
        #expect(noJSON.status == 64 && noJSON.stderrText.hasPrefix("dq: "))
        let bad = try dq(["ack", "q", "not-a-receipt", "--db", db])
        #expect(bad.status == 64 && bad.stderrLines.count == 1)
    }
}

/// Leases held by a process that dies come back promptly, found through the kernel.
@Suite("Dead consumers")
struct DeadConsumerTests {
    let directory = TemporaryDirectory()

    @Test("a consumer SIGKILLed while holding a 60 s lease: its message is delivered again within 2 s", arguments: EngineUnderTest.allCases)
    func killedHolder(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["put", "q", "precious", "--db", db]).status == 0)
        let holder = try ChildProcess(Executables.helper, ["hold", db, "q"])
        // The holder prints the id once it holds the lease.
        let store = try Store.open(db)
        #expect(eventually { ((try? store.stats().queues.first?.leased) ?? 0) == 1 })
        let killed = ContinuousClock.now
        kill(holder.pid, SIGKILL)
        _ = holder.wait(timeout: .seconds(10))
        let again = try dq(["get", "q", "--timeout", "10s", "--db", db], timeout: .seconds(20))
        #expect(again.status == 0 && again.stdoutText == "precious\n")
        #expect(ContinuousClock.now - killed < .seconds(2))
    }

    @Test("a lease taken by dq get --lease outlives that dq process, so a script can ack it later", arguments: EngineUnderTest.allCases)
    func commandLineLeaseOutlivesProcess(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "q", "job", "--db", db])
        let leased = try dq(["get", "q", "--lease", "60s", "--json", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: leased.stdout) as? [String: Any])
        // Another process sweeps for dead holders as it gets; the lease must survive it.
        #expect(try dq(["get", "q", "--timeout", "600ms", "--db", db]).status == 1)
        #expect(try dq(["ack", "q", object["receipt"] as! String, "--db", db]).status == 0)
    }
}
