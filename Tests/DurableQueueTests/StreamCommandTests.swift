import Foundation
import Testing

/// Streams through the `dq` command line and real processes, on every engine.
@Suite("Stream commands")
struct StreamCommandTests {
    let directory = TemporaryDirectory()

    /// The sequence numbers in lines of `subscribe --json` output.
    static func sequences(_ output: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
        }
    }

    @Test("1 publisher, 3 groups × 2 subscribers: every group gets every entry exactly once", arguments: EngineUnderTest.allCases)
    func fanOutExactlyOnce(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let groups = ["billing", "mail", "audit"]
        for group in groups { #expect(try dq(["subscribe", "events", "--group", group, "--no-wait", "--db", db]).status == 1) }
        let subscribers = try groups.flatMap { group in
            try (0..<2).map { _ in
                (group, try ChildProcess(Executables.dq, ["subscribe", "events", "--group", group, "--follow", "--json", "-n", "7", "--db", db]))
            }
        }
        let total = 300
        let publisher = try ChildProcess("/bin/bash", ["-c", """
            for i in $(seq 1 \(total / 10)); do seq 1 10 | "\(Executables.dq)" publish events --lines --db '\(db)' || exit 1; done
            """])
        #expect(publisher.wait(timeout: .seconds(120)).status == 0)
        // Done when no group has anything waiting: every entry was handed out.
        #expect(eventually(timeout: .seconds(30)) {
            guard let out = try? dq(["groups", "events", "--json", "--db", db]).stdout,
                  let object = try? JSONSerialization.jsonObject(with: out) as? [String: Any],
                  let list = object["groups"] as? [[String: Any]] else { return false }
            return list.count == 3 && list.allSatisfy { ($0["lag"] as? Int) == 0 && ($0["delivered"] as? Int) == total }
        })
        for (_, subscriber) in subscribers { kill(subscriber.pid, SIGTERM) }
        var perGroup: [String: [Int]] = [:]
        for (group, subscriber) in subscribers {
            let result = subscriber.wait()
            #expect(result.status == 0, "\(result.stderrText)")
            perGroup[group, default: []] += Self.sequences(result.stdoutText)
        }
        for group in groups {
            #expect(perGroup[group]?.sorted() == Array(1...total), "\(group): \(perGroup[group]?.count ?? 0) entries")
        }
    }

    @Test("subscribers SIGKILLed at random for 20 s: no group loses an entry", arguments: EngineUnderTest.allCases)
    func killedSubscribersLoseNothing(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let groups = ["a", "b", "c"]
        func subscriber(_ group: String) throws -> ChildProcess {
            try ChildProcess(Executables.helper, ["stream-subscribe", db, "chaos", group])
        }
        var running = try groups.flatMap { group in try (0..<2).map { _ in (group, try subscriber(group)) } }
        var finished: [(String, ProcessResult)] = []
        let publisher = try ChildProcess("/bin/bash", ["-c", """
            end=$((SECONDS + 18)); n=0
            while [ $SECONDS -lt $end ]; do "\(Executables.dq)" publish chaos x --db '\(db)' || exit 1; n=$((n + 1)); done
            echo $n
            """])
        var random = SystemRandomNumberGenerator()
        let start = Date()
        // The chaos itself runs for a span of time: a kill every 0.1–0.5 s.
        while Date().timeIntervalSince(start) < 20 {
            Thread.sleep(forTimeInterval: Double.random(in: 0.1...0.5, using: &random))
            let victim = Int.random(in: 0..<running.count, using: &random)
            let (group, process) = running[victim]
            kill(process.pid, SIGKILL)
            finished.append((group, process.wait()))
            running[victim] = (group, try subscriber(group))
        }
        let published = publisher.wait(timeout: .seconds(60))
        #expect(published.status == 0, "\(published.stderrText)")
        let total = Int(published.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(total > 20)
        #expect(eventually(timeout: .seconds(30)) {
            guard let out = try? dq(["groups", "chaos", "--json", "--db", db]).stdout,
                  let object = try? JSONSerialization.jsonObject(with: out) as? [String: Any],
                  let list = object["groups"] as? [[String: Any]] else { return false }
            return list.count == 3 && list.allSatisfy {
                ($0["lag"] as? Int) == 0 && ($0["pending"] as? Int) == 0 && ($0["dead"] as? Int) == 0
            }
        })
        // Every entry is acked, and a subscriber acks (with its next receive, at the latest
        // a second later) only what it printed: a killed holder's lease is still pending
        // until a survivor takes it again, so "pending" must reach 0, not merely stay low.
        for (group, process) in running {
            kill(process.pid, SIGKILL)
            finished.append((group, process.wait()))
        }
        for group in groups {
            let seen = finished.filter { $0.0 == group }
                .flatMap { $0.1.stdoutText.split(separator: "\n").compactMap { Int($0) } }
            let distinct = Set(seen)
            #expect(distinct == Set(1...total), "\(group): \(total - distinct.count) of \(total) entries never delivered")
            print("stream chaos (\(engine)): group \(group) received \(total) entries, \(seen.count - distinct.count) duplicates")
        }
    }

    @Test("a SIGKILLed subscriber's leased entry is delivered again within 2 s, not when its 60 s lease ends", arguments: EngineUnderTest.allCases)
    func killedHolderRedelivered(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["publish", "k", "job", "--db", db]).status == 0)
        let holder = try ChildProcess(Executables.helper, ["stream-hold", db, "k", "g"])
        func pending() -> Int? {
            guard let out = try? dq(["groups", "k", "--json", "--db", db]).stdout,
                  let object = try? JSONSerialization.jsonObject(with: out) as? [String: Any],
                  let group = (object["groups"] as? [[String: Any]])?.first else { return nil }
            return group["pending"] as? Int
        }
        #expect(eventually(timeout: .seconds(10)) { pending() == 1 }, "the helper leased the entry")
        kill(holder.pid, SIGKILL)
        let killed = Date()
        _ = holder.wait()
        let again = try dq(["subscribe", "k", "--group", "g", "--lease", "1m", "--json", "--timeout", "10s", "--db", db])
        let elapsed = Date().timeIntervalSince(killed)
        let object = try #require(try JSONSerialization.jsonObject(with: again.stdout) as? [String: Any], "\(again.stderrText)")
        #expect(object["seq"] as? Int == 1 && object["attempt"] as? Int == 2)
        #expect(elapsed < 2, "delivered again after \(elapsed) s")
    }

    @Test("a group's dead letters: listed, retried and purged with --group", arguments: EngineUnderTest.allCases)
    func deadLetters(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["subscribe", "d", "--group", "g", "--no-wait", "--db", db]).status == 1)
        #expect(try dq(["publish", "d", "poison", "--db", db]).status == 0)
        let leased = try dq(["subscribe", "d", "--group", "g", "--lease", "1m", "--json", "--db", db])
        let receipt = try #require((try JSONSerialization.jsonObject(with: leased.stdout) as? [String: Any])?["receipt"] as? String)
        #expect(try dq(["nack", "d", receipt, "--max-attempts", "1", "--db", db]).status == 0)
        #expect(try dq(["dead", "d", "--group", "g", "--db", db]).stdoutText == "poison\n")
        let json = try dq(["dead", "d", "--group", "g", "--json", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(object["seq"] as? Int == 1 && object["group"] as? String == "g" && object["dead_at"] is String)
        #expect(try dq(["dead", "d", "--group", "other", "--db", db]).status == 1)
        #expect(try dq(["retry-dead", "d", "--group", "g", "--json", "--db", db]).stdoutText == #"{"retried":1}"# + "\n")
        #expect(try dq(["subscribe", "d", "--group", "g", "--no-wait", "--db", db]).stdoutText == "poison\n")
        #expect(try dq(["publish", "d", "again", "--db", db]).status == 0)
        let second = try dq(["subscribe", "d", "--group", "g", "--lease", "1m", "--json", "--db", db])
        let again = try #require((try JSONSerialization.jsonObject(with: second.stdout) as? [String: Any])?["receipt"] as? String)
        #expect(try dq(["nack", "d", again, "--max-attempts", "1", "--db", db]).status == 0)
        #expect(try dq(["purge", "d", "--group", "g", "--dead", "--json", "--db", db]).stdoutText == #"{"purged":1}"# + "\n")
        #expect(try dq(["dead", "d", "--group", "g", "--db", db]).status == 1)
        let idsWithGroup = try dq(["retry-dead", "d", "5", "--group", "g", "--db", db])
        #expect(idsWithGroup.status == 64 && idsWithGroup.stderrText.contains("give no ids"))
    }

    @Test("trim --retain acked stops at an entry a group holds leased; subscribe --max-attempts buries", arguments: EngineUnderTest.allCases)
    func retainAcked(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        func receipt(_ result: ProcessResult) throws -> (seq: Int, receipt: String) {
            let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.stderrText)")
            return (try #require(object["seq"] as? Int), try #require(object["receipt"] as? String))
        }
        for group in ["g1", "g2"] { #expect(try dq(["subscribe", "r", "--group", group, "--no-wait", "--db", db]).status == 1) }
        #expect(try dq(["publish", "r", "a", "b", "c", "d", "--db", db]).status == 0)
        #expect(try dq(["subscribe", "r", "--group", "g1", "-n", "4", "--db", db]).stdoutText == "a\nb\nc\nd\n")
        #expect(try dq(["subscribe", "r", "--group", "g2", "--db", db]).stdoutText == "a\n")
        let b = try receipt(try dq(["subscribe", "r", "--group", "g2", "--lease", "1m", "--json", "--db", db]))
        #expect(b.seq == 2)
        // Only a: b is leased by g2, c and d not yet delivered to it.
        #expect(try dq(["trim", "r", "--retain", "acked", "--json", "--db", db]).stdoutText == #"{"trimmed":1}"# + "\n")
        #expect(try dq(["read", "r", "--db", db]).stdoutText == "b\nc\nd\n")
        let listed = try JSONSerialization.jsonObject(with: dq(["groups", "r", "--json", "--db", db]).stdout) as? [String: Any]
        let groups = listed?["groups"] as? [[String: Any]] ?? []
        #expect(groups.first { $0["group"] as? String == "g2" }?["pending"] as? Int == 1, "\(groups)")
        // b, nacked after one delivery, is buried by a receive that allows one: c comes instead.
        #expect(try dq(["nack", "r", b.receipt, "--db", db]).status == 0)
        let c = try receipt(try dq(["subscribe", "r", "--group", "g2", "--lease", "1m", "--json", "--max-attempts", "1", "--db", db]))
        #expect(c.seq == 3)
        #expect(try dq(["dead", "r", "--group", "g2", "--db", db]).stdoutText == "b\n")
        #expect(try dq(["ack", "r", c.receipt, "--db", db]).status == 0)
        #expect(try dq(["subscribe", "r", "--group", "g2", "--db", db]).stdoutText == "d\n")
        // Acked or buried by every group: all dropped.
        #expect(try dq(["trim", "r", "--retain", "acked", "--json", "--db", db]).stdoutText == #"{"trimmed":3}"# + "\n")
        #expect(try dq(["read", "r", "--db", db]).status == 1)
    }

    @Test("publish, subscribe with lease, ack/nack/extend with stream receipts, read, groups, trim", arguments: EngineUnderTest.allCases)
    func commands(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["subscribe", "s", "--group", "g", "--no-wait", "--db", db]).status == 1)
        let published = try dq(["publish", "s", "one", "two", "three", "--json", "--db", db])
        #expect(published.stdoutText == #"{"seq":1,"duplicate":false}"# + "\n" + #"{"seq":2,"duplicate":false}"# + "\n"
                + #"{"seq":3,"duplicate":false}"# + "\n")
        #expect(try dq(["subscribe", "s", "--group", "g", "--db", db]).stdoutText == "one\n")
        let leased = try dq(["subscribe", "s", "--group", "g", "--lease", "1m", "--json", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: leased.stdout) as? [String: Any])
        #expect(object["seq"] as? Int == 2 && object["group"] as? String == "g" && object["body"] as? String == "two")
        let receipt = try #require(object["receipt"] as? String)
        #expect(receipt.hasPrefix("g:"))
        #expect(try dq(["extend", "s", receipt, "2m", "--db", db]).status == 0)
        #expect(try dq(["nack", "s", receipt, "--db", db]).status == 0)
        let stale = try dq(["ack", "s", receipt, "--db", db])
        #expect(stale.status == 65 && stale.stderrText.hasPrefix("dq: "))
        #expect(stale.stderrText == "dq: receipt \(receipt) is stale: the entry was settled, or its lease ran out and it was delivered again\n",
                "the receipt as given, not the hidden queue's")
        let again = try dq(["subscribe", "s", "--group", "g", "--lease", "1m", "--json", "-n", "5", "--db", db])
        #expect(Self.sequences(again.stdoutText) == [2, 3])
        let receipts = again.stdoutText.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["receipt"] as? String
        }
        #expect(try dq(["ack", "s"] + receipts + ["--db", db]).status == 0)

        // A group made later replays from --from; read replays without a group.
        let replay = try dq(["subscribe", "s", "--group", "late", "--from", "first", "-n", "10", "--json", "--db", db])
        #expect(Self.sequences(replay.stdoutText) == [1, 2, 3])
        #expect(try dq(["read", "s", "--from", "2", "--db", db]).stdoutText == "two\nthree\n")
        #expect(try dq(["read", "s", "-n", "1", "--json", "--db", db]).stdoutText.contains(#""seq":1"#))
        let groups = try dq(["groups", "s", "--db", db]).stdoutText
        #expect(groups.hasPrefix("GROUP") && groups.contains("late") && groups.contains("last seq 3"), "\(groups)")
        #expect(try !dq(["queues", "--db", db]).stdoutText.contains("stream"), "groups' queues are dq groups' to show")
        if engine == .sqlite {
            let missing = try dq(["groups", "s", "--db", directory.file("missing.db")])
            #expect(missing.status == 73 && !FileManager.default.fileExists(atPath: directory.file("missing.db")))
        }

        // Trim by length, then by age.
        #expect(try dq(["trim", "s", "--max-len", "1", "--json", "--db", db]).stdoutText == #"{"trimmed":2}"# + "\n")
        #expect(try dq(["read", "s", "--db", db]).stdoutText == "three\n")
        #expect(try dq(["publish", "s", "four", "--max-len", "1", "--db", db]).status == 0)
        #expect(try dq(["read", "s", "--db", db]).stdoutText == "four\n")
        Thread.sleep(forTimeInterval: 0.05)   // the entry must be older than the age below
        #expect(try dq(["trim", "s", "--max-age", "10ms", "--json", "--db", db]).stdoutText == #"{"trimmed":1}"# + "\n")
        #expect(try dq(["read", "s", "--db", db]).status == 1)
        #expect(try dq(["streams", "--db", db]).stdoutText == "s\n")
        let listed = try #require(try JSONSerialization.jsonObject(with: dq(["streams", "--json", "--db", db]).stdout) as? [String: Any])
        #expect(listed["stream"] as? String == "s" && listed["last_seq"] as? Int == 4 && listed["length"] as? Int == 0)
        #expect((listed["groups"] as? [String]) == ["g", "late"])
        #expect(try dq(["drop", "s", "--stream", "--json", "--db", db]).stdoutText == #"{"dropped":0}"# + "\n")
        #expect(try dq(["streams", "--db", db]).stdoutText == "")
        #expect(try !dq(["stats", "--db", db]).stdoutText.contains("stream"), "no group queue is left")

        for (arguments, message) in [
            (["trim", "s"], "say what to drop"),
            (["trim", "s", "--retain", "all"], "--retain takes 'acked'"),
            (["subscribe", "s", "--group", "g", "--lease", "1m"], "--lease needs --json"),
            (["subscribe", "s", "--group", "g", "--from", "zero"], "from"),
            (["subscribe", "s", "--group", ""], "group name is empty"),
            (["ack", "s", "g:nonsense"], "is not a receipt"),
            (["publish", "s", "a", "b", "--key", "k"], "--key applies to one entry"),
        ] {
            let result = try dq(arguments + ["--db", db])
            #expect(result.status == 64, "\(arguments): \(result.stderrText)")
            #expect(result.stderrText.hasPrefix("dq: ") && result.stderrText.contains(message), "\(result.stderrText)")
        }
    }
}
