import Foundation
import Testing

/// `dq put` / `dq get` parsed by `QuickPath` (without ArgumentParser) must behave
/// exactly as when ArgumentParser parses them (`DQ_QUICK_PATH=off`).
@Suite("quick path")
struct QuickPathTests {
    let directory = TemporaryDirectory()

    /// One step of a script: arguments (`DB` stands for the store) and standard input.
    struct Step {
        let arguments: [String]
        var stdin = Data()
    }

    static let script: [Step] = [
        Step(arguments: ["put", "q", "a", "b", "c", "--db", "DB"]),
        Step(arguments: ["put", "q", "--priority", "5", "high", "--db", "DB"]),
        Step(arguments: ["put", "q", "--priority=-3", "low", "--db", "DB"]),
        Step(arguments: ["put", "--priority", "-2", "q", "lower", "--db=DB"]),
        Step(arguments: ["--db", "DB", "put", "q", "globals first", "--sync", "full"]),
        Step(arguments: ["put", "q", "--delay", "1h", "later", "--db", "DB"]),
        Step(arguments: ["put", "q", "--key", "k1", "once", "--json", "--db", "DB"]),
        Step(arguments: ["put", "q", "--key", "k1", "twice", "--json", "--db", "DB"]),
        Step(arguments: ["put", "q", "--lines", "--db", "DB"], stdin: Data("x\ny\n\nz\n".utf8)),
        Step(arguments: ["put", "q", "-0", "--db", "DB"], stdin: Data("n1\u{0}n2\u{0}".utf8)),
        Step(arguments: ["put", "q", "--db", "DB"], stdin: Data([0, 1, 0xFF, 10])),
        Step(arguments: ["put", "q", "--db", "DB", "--", "-dash", "--json"]),
        Step(arguments: ["put", "q", "--key", "k2", "--db", "DB"], stdin: Data("a\nb".utf8)),
        Step(arguments: ["get", "q", "--db", "DB"]),
        Step(arguments: ["get", "q", "-n", "3", "--db", "DB"]),
        Step(arguments: ["get", "q", "-n", "2", "-0", "--db", "DB"]),
        Step(arguments: ["get", "q", "--json", "--db", "DB", "--timeout", "10ms"]),
        Step(arguments: ["get", "q", "--lease", "30s", "--json", "--max-attempts", "2", "--db", "DB"]),
        Step(arguments: ["get", "q", "--no-wait", "-n", "100", "--json", "--db", "DB"]),
        Step(arguments: ["get", "q", "--no-wait", "--db", "DB"]),
        Step(arguments: ["get", "empty", "--timeout", "5ms", "--db", "DB"]),
        // Usage errors and help: ArgumentParser's words either way.
        Step(arguments: ["put", "q", "--lines", "a", "--db", "DB"]),
        Step(arguments: ["put", "", "x", "--db", "DB"]),
        Step(arguments: ["put", "q", "--priority", "high", "x", "--db", "DB"]),
        Step(arguments: ["put", "q", "--delay", "-5s", "x", "--db", "DB"]),
        Step(arguments: ["put", "q", "--sync", "sometimes", "x", "--db", "DB"]),
        Step(arguments: ["put", "q", "--json", "--json", "x", "--db", "DB"]),
        Step(arguments: ["put", "q", "--bogus", "x", "--db", "DB"]),
        Step(arguments: ["put", "q", "-x", "--db", "DB"]),
        Step(arguments: ["put", "--db", "DB"]),
        Step(arguments: ["get", "q", "-n", "0", "--db", "DB"]),
        Step(arguments: ["get", "q", "--no-wait", "--timeout", "1s", "--db", "DB"]),
        Step(arguments: ["get", "q", "--lease", "1s", "--db", "DB"]),
        Step(arguments: ["get", "q", "extra", "--db", "DB"]),
        Step(arguments: ["get", "q", "--db"]),
        Step(arguments: ["put", "--help"]),
        Step(arguments: ["get", "-h"]),
        Step(arguments: ["--version"]),
        // What is left, in order.
        Step(arguments: ["peek", "q", "-n", "100", "--json", "--db", "DB"]),
    ]

    /// Ids, times and receipts differ between two stores; everything else must not.
    static func masked(_ text: String) -> String {
        text.replacing(/"(id|enqueued_at|receipt|leased_until|path)":("[^"]*"|-?\d+)/) { match in
            "\"\(match.output.1)\":…"
        }
    }

    @Test("every step of a put/get script prints, exits and stores the same with and without the quick path")
    func sameAsArgumentParser() throws {
        let quick = directory.file("quick.db"), full = directory.file("full.db")
        for step in Self.script {
            func run(_ db: String, _ setting: String) throws -> ProcessResult {
                try dq(step.arguments.map { $0.replacing("DB", with: db) }, stdin: step.stdin,
                       environment: ["DQ_QUICK_PATH": setting])
            }
            let viaQuick = try run(quick, "on"), viaFull = try run(full, "off")
            let name = step.arguments.joined(separator: " ")
            #expect(viaQuick.status == viaFull.status, "\(name): \(viaQuick.stderrText) / \(viaFull.stderrText)")
            #expect(Self.masked(viaQuick.stdoutText) == Self.masked(viaFull.stdoutText), "\(name)")
            #expect(viaQuick.stderrText.replacing(quick, with: "DB") == viaFull.stderrText.replacing(full, with: "DB"), "\(name)")
        }
    }

    @Test("the everyday put and get forms are taken by the quick path; others are left to ArgumentParser")
    func takenWhenPlain() throws {
        let db = directory.file("store.db")
        let required = ["DQ_QUICK_PATH": "require"]
        for arguments in [["put", "q", "a", "--db", db], ["put", "q", "--priority", "-1", "--delay", "0s", "--key", "k", "b", "--db", db],
                          ["--db", db, "put", "q", "--json", "--sync", "full", "c"], ["get", "q", "--db", db],
                          ["get", "q", "--no-wait", "-n", "5", "--db", db], ["get", "q", "--timeout", "10ms", "--db", db],
                          ["--version"]] {
            let result = try dq(arguments, environment: required)
            #expect(result.status == 0 || result.status == 1, "\(arguments): \(result.stderrText)")
            #expect(!result.stderrText.contains("quick path"), "\(arguments): \(result.stderrText)")
        }
        for arguments in [["put", "--help"], ["len", "q", "--db", db], ["put", "q", "--bogus", "--db", db], ["get", "q", "-n", "0", "--db", db]] {
            let result = try dq(arguments, environment: required)
            #expect(result.status == 70, "\(arguments): \(result.stderrText)")
            #expect(result.stderrText == "dq: not a quick-path command line (DQ_QUICK_PATH=require)\n", "\(arguments)")
        }
    }
}
