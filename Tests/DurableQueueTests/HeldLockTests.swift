import DurableQueue
import Foundation
import Testing

/// The named locks held now (`Store.heldLocks()`, `dq stats`), with real holder and
/// waiter processes, on every engine.
@Suite("Held locks")
struct HeldLockTests {
    let directory = TemporaryDirectory()

    /// `dq stats --json`'s `locks`.
    static func locks(_ db: String) -> [[String: Any]]? {
        guard let out = try? dq(["stats", "--json", "--db", db]).stdout,
              let object = try? JSONSerialization.jsonObject(with: out) as? [String: Any] else { return nil }
        return object["locks"] as? [[String: Any]]
    }

    @Test("a held lock is listed with its holder's pid and its waiters, and is gone from the list with its holder",
          arguments: EngineUnderTest.allCases)
    func listed(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
        #expect(Self.locks(db)?.isEmpty == true)
        let holder = try ChildProcess(Executables.dq, ["lock", "deploy", "--db", db, "--", "sleep", "60"])
        defer { kill(holder.pid, SIGKILL) }
        #expect(eventually(timeout: .seconds(20)) { Self.locks(db)?.first?["pid"] as? Int == Int(holder.pid) })
        let waiter = try ChildProcess(Executables.dq, ["lock", "deploy", "--timeout", "60s", "--db", db, "--", "true"])
        #expect(eventually(timeout: .seconds(20)) { Self.locks(db)?.first?["waiting"] as? Int == 1 })
        let lock = try #require(Self.locks(db)?.first)
        #expect(Self.locks(db)?.count == 1)
        #expect(lock["name"] as? String == "deploy")
        #expect((lock["held_ms"] as? Int).map { $0 >= 0 && $0 < 60_000 } == true, "\(lock)")
        let text = try dq(["stats", "--db", db]).stdoutText
        #expect(text.contains("lock deploy: held by pid \(holder.pid) for "), "\(text)")
        #expect(text.contains(", 1 waiting"), "\(text)")
        // The library sees the same.
        let listed = try engine.open(db).heldLocks()
        #expect(listed.map(\.name) == ["deploy"] && listed.first?.pid == holder.pid && listed.first?.waiting == 1)
        kill(holder.pid, SIGKILL)
        _ = holder.wait()
        #expect(waiter.wait(timeout: .seconds(20)).status == 0, "the waiter got the lock")
        #expect(eventually(timeout: .seconds(10)) { Self.locks(db)?.isEmpty == true })
    }
}
