import Foundation
import Testing

/// The kill -9 test users can run on their own disk, in a short version: producers and
/// workers SIGKILLed at random, then drained.
@Suite("dq torture")
struct TortureTests {
    let directory = TemporaryDirectory()

    @Test("producers and workers SIGKILLed at random for 4 s: nothing committed is lost, integrity ok",
          arguments: [false, true])
    func shortTorture(grandchild: Bool) throws {
        let result = try dq(["torture", "--seconds", "4", "--json", "--dir", directory.path] + (grandchild ? ["--grandchild"] : []),
                            timeout: .seconds(200))
        #expect(result.status == 0, "\(result.stdoutText) \(result.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect((report["committed"] as? Int ?? 0) > 0)
        #expect((report["kills"] as? Int ?? 0) > 5)
        #expect(report["lost"] as? Int == 0)
        #expect(report["undrained"] as? Int == 0)
        #expect(report["integrity"] as? String == "ok")
        #expect((report["processed"] as? Int ?? 0) >= (report["committed"] as? Int ?? 1))
    }

    @Test("dq torture --db postgres://…: producers and workers SIGKILLed at random for 20 s lose nothing",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
    func postgresTorture() throws {
        let db = try PostgresTestServer.freshDatabase()
        let result = try dq(["torture", "--seconds", "20", "--json", "--dir", directory.path, "--db", db], timeout: .seconds(300))
        #expect(result.status == 0, "\(result.stdoutText) \(result.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect((report["committed"] as? Int ?? 0) > 0)
        #expect((report["kills"] as? Int ?? 0) > 20)
        #expect(report["lost"] as? Int == 0)
        #expect(report["undrained"] as? Int == 0)
        #expect(report["integrity"] as? String == "ok")
    }
}
