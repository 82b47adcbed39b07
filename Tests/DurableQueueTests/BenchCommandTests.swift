import Foundation
import Testing

/// `dq bench` must keep working: CI runs the quick sizes and checks the output's
/// shape. No assertion here depends on how fast the machine is.
@Suite("dq bench")
struct BenchCommandTests {
    let directory = TemporaryDirectory()

    @Test("--quick --json: one valid object per workload and floor")
    func quickJSON() throws {
        let result = try dq(["bench", "--quick", "--json", "--dir", directory.path], timeout: .seconds(300))
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        #expect(result.stderr.isEmpty, "nothing but results when not on a terminal")
        var seen: [String: [String: Any]] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let name = try #require(object["workload"] as? String)
            seen[name] = object
            #expect((object["value"] as? Double).map { $0 > 0 } == true, "\(line)")
            #expect(["msg/s", "us", "ms"].contains(object["unit"] as? String ?? ""), "\(line)")
            #expect(object["sync"] as? String == "normal")
            #expect((object["n"] as? Int).map { $0 > 0 } == true, "\(line)")
        }
        // W8's floor is the sqlite3 shell; .ci/run installs it.
        let shell = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/sqlite3") }
        let expected = ["floor-W1", "W1", "floor-W2", "W2", "floor-W3", "W3", "W3L", "W4", "floor-W5", "floor-W5-sqlite", "W5", "W5C", "W6", "W7",
                        "W8", "Q1-W1-one", "Q1-W1", "Q1-W8-one", "Q1-W8", "floor-S1", "S1", "S2-W6", "floor-S2", "S2-g1", "S2-g2", "S2-g3",
                        "S2-g4", "S2", "D1-W7", "D1"]
            + (shell ? ["floor-W8", "floor-W8-kept"] : [])
        #expect(Set(seen.keys) == Set(expected))
        for name in ["W1", "W2", "W3", "W5", "W5C", "Q1-W1", "Q1-W8", "S1", "S2", "D1"] + (shell ? ["W8"] : []) {
            #expect(seen[name]?["floor"] is Double, "\(name) has its floor")
            #expect(seen[name]?["ratio"] is Double, "\(name) has its ratio")
        }
        for name in ["W8", "Q1-W8", "Q1-W8-one"] + (shell ? ["floor-W8", "floor-W8-kept"] : []) {
            #expect(seen[name]?["unit"] as? String == "ms", "\(name)")
            for field in ["p50", "p99"] { #expect(seen[name]?[field] is Double, "\(name).\(field)") }
        }
        for name in ["W5", "W5C", "W6", "floor-W5", "floor-W5-sqlite", "floor-S2", "S2", "S2-g1"] {
            for field in ["p50", "p99", "p999"] { #expect(seen[name]?[field] is Double, "\(name).\(field)") }
        }
        // The bench cleans up after itself.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("--sync full is reported, and a single workload can be chosen")
    func selection() throws {
        let result = try dq(["bench", "--quick", "--json", "--workload", "W1", "--sync", "full", "--dir", directory.path], timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        let lines = result.stdoutText.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("\"sync\":\"full\"") })
    }

    @Test("a missing --dir is made, as a store's missing directories are")
    func missingDirectory() throws {
        let made = directory.file("new/sub")
        let result = try dq(["bench", "--quick", "--json", "--workload", "W1", "--dir", made], timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        #expect(result.stdoutText.split(separator: "\n").count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: made).isEmpty)
    }

    @Test("the extra workloads C4, P4 (with its floor), K1 and E1 run when named")
    func extraWorkloads() throws {
        let result = try dq(["bench", "--quick", "--json", "--workload", "C4,P4,K1,E1", "--dir", directory.path], timeout: .seconds(120))
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        let names = try result.stdoutText.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["workload"] as? String
        }
        #expect(names == ["C4", "floor-P4", "P4", "K1", "E1"])
    }

    @Test("--db postgres://: W1, W3, W5, W5C, W7, P4, S1, S2 and D1 with their floors", .enabled(if: PostgresTestServer.address != nil))
    func postgres() throws {
        let db = try PostgresTestServer.freshDatabase()
        let result = try dq(["bench", "--quick", "--json", "--db", db, "--workload", "W1,W3,W5,W5C,W7,P4,S1,S2,D1"], timeout: .seconds(300))
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        var seen: [String: [String: Any]] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            seen[try #require(object["workload"] as? String)] = object
            #expect((object["value"] as? Double).map { $0 > 0 } == true, "\(line)")
        }
        #expect(Set(seen.keys) == ["floor-W1", "W1", "floor-W3", "W3", "floor-W5", "W5", "W5C", "floor-W7", "W7", "floor-P4", "P4", "floor-S1", "S1",
                                   "S2-W6", "S2-g1", "S2-g2", "S2-g3", "S2-g4", "S2", "D1-W7", "D1"])
        for name in ["W1", "W3", "W5", "W5C", "W7", "P4", "S1", "S2", "D1"] {
            #expect((seen[name]?["floor"] as? Double).map { $0 > 0 } == true, "\(name) has its floor")
            #expect((seen[name]?["ratio"] as? Double).map { $0 > 0 } == true, "\(name) has its ratio")
        }
        for name in ["W5", "W5C", "floor-W5"] {
            for field in ["p50", "p99"] { #expect((seen[name]?[field] as? Double).map { $0 > 0 } == true, "\(name).\(field)") }
        }
    }

    @Test("--db takes only a postgres:// address")
    func sqlitePathAsDB() throws {
        let result = try dq(["bench", "--db", directory.path + "/store.db"])
        #expect(result.status == 64)
        #expect(result.stderrText.hasPrefix("dq: "))
    }

    @Test("an unknown workload is a usage error")
    func unknownWorkload() throws {
        let result = try dq(["bench", "--workload", "W9"])
        #expect(result.status == 64)
        #expect(result.stderrText.hasPrefix("dq: "))
    }
}
