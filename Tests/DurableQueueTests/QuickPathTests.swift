import Foundation
import Testing

/// Command lines parsed by `QuickPath` (without ArgumentParser) must behave exactly as
/// when ArgumentParser parses them (`DQ_QUICK_PATH=off`).
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
        // At-least-once from the shell: RECEIPT is the last receipt this store printed.
        Step(arguments: ["put", "q", "r1", "r2", "--db", "DB"]),
        Step(arguments: ["get", "q", "--lease", "30s", "--json", "--db", "DB"]),
        Step(arguments: ["extend", "q", "RECEIPT", "1m", "--db", "DB"]),
        Step(arguments: ["nack", "q", "RECEIPT", "--delay", "1h", "--max-attempts", "3", "--db", "DB"]),
        Step(arguments: ["extend", "q", "RECEIPT", "1m", "--db", "DB"]),
        Step(arguments: ["get", "q", "--lease", "1m", "--json", "-n", "1", "--db", "DB"]),
        Step(arguments: ["len", "q", "--db", "DB"]),
        Step(arguments: ["ack", "q", "RECEIPT", "--db", "DB"]),
        Step(arguments: ["ack", "q", "RECEIPT", "--db", "DB"]),
        Step(arguments: ["--db", "DB", "len", "q"]),
        // Shared state.
        Step(arguments: ["kv", "set", "config", "mode", "fast", "--db", "DB"]),
        Step(arguments: ["--db", "DB", "kv", "get", "config", "mode"]),
        Step(arguments: ["kv", "get", "config", "absent", "--db", "DB"]),
        Step(arguments: ["kv", "set", "config", "mode", "-", "--db", "DB"], stdin: Data([0, 1, 0xFF])),
        Step(arguments: ["kv", "get", "config", "mode", "--db", "DB"]),
        Step(arguments: ["counter", "add", "done", "--db", "DB"]),
        Step(arguments: ["counter", "add", "done", "41", "--db", "DB", "--sync", "full"]),
        Step(arguments: ["counter", "add", "done", "-2", "--db", "DB"]),
        Step(arguments: ["counter", "get", "done", "--db", "DB"]),
        Step(arguments: ["event", "is-set", "stop", "--db", "DB"]),
        Step(arguments: ["event", "set", "stop", "--db", "DB"]),
        Step(arguments: ["event", "is-set", "stop", "--db", "DB"]),
        Step(arguments: ["kv", "items", "config", "--json", "--db", "DB"]),
        // Usage errors and help: ArgumentParser's words either way.
        Step(arguments: ["kv", "get", "config", "--db", "DB"]),
        Step(arguments: ["kv", "set", "", "k", "v", "--db", "DB"]),
        Step(arguments: ["counter", "add", "done", "x", "--db", "DB"]),
        Step(arguments: ["counter", "add", "done", "1", "2", "--db", "DB"]),
        Step(arguments: ["event", "set", "--db", "DB"]),
        Step(arguments: ["kv", "--db", "DB"]),
        Step(arguments: ["counter", "add", "done", "--", "-5", "--db", "DB"]),
        Step(arguments: ["counter", "add", "done", "--db", "DB", "--"]),
        Step(arguments: ["put", "q", "--key=", "k2", "--db", "DB"], stdin: Data("xyz".utf8)),
        Step(arguments: ["put", "q", "--db=", "DB", "a"]),
        Step(arguments: ["get", "q", "--db=", "--no-wait"]),
        Step(arguments: ["peek", "q", "-n", "10", "--db", "DB"]),
        Step(arguments: ["ack", "q", "--db", "DB"]),
        Step(arguments: ["ack", "q", "not-a-receipt", "--db", "DB"]),
        Step(arguments: ["nack", "q", "RECEIPT", "--max-attempts", "0", "--db", "DB"]),
        Step(arguments: ["extend", "q", "RECEIPT", "0s", "--db", "DB"]),
        Step(arguments: ["extend", "q", "RECEIPT", "-5s", "--db", "DB"]),
        Step(arguments: ["len", "q", "extra", "--db", "DB"]),
        Step(arguments: ["len", "--db", "DB"]),
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

    /// One store and the last receipt a step printed for it.
    final class Run {
        let db: String
        let setting: String
        var receipt = "none"

        init(db: String, setting: String) {
            self.db = db
            self.setting = setting
        }

        func step(_ step: Step) throws -> ProcessResult {
            let arguments = step.arguments.map { $0.replacing("DB", with: db).replacing("RECEIPT", with: receipt) }
            let result = try dq(arguments, stdin: step.stdin, environment: ["DQ_QUICK_PATH": setting])
            if let match = result.stdoutText.firstMatch(of: /"receipt":"([^"]+)"/) { receipt = String(match.output.1) }
            return result
        }

        /// Standard error with this run's store path, receipt and message ids written as
        /// placeholders.
        func placeheld(_ text: String) -> String {
            text.replacing(db, with: "DB").replacing(receipt, with: "RECEIPT").replacing(/\d{16,}/, with: "ID")
        }
    }

    @Test("every step of a shell script prints, exits and stores the same with and without the quick path")
    func sameAsArgumentParser() throws {
        let quick = Run(db: directory.file("quick.db"), setting: "on")
        let full = Run(db: directory.file("full.db"), setting: "off")
        for step in Self.script {
            let viaQuick = try quick.step(step), viaFull = try full.step(step)
            let name = step.arguments.joined(separator: " ")
            #expect(viaQuick.status == viaFull.status, "\(name): \(viaQuick.stderrText) / \(viaFull.stderrText)")
            #expect(Self.masked(viaQuick.stdoutText) == Self.masked(viaFull.stdoutText), "\(name)")
            #expect(quick.placeheld(viaQuick.stderrText) == full.placeheld(viaFull.stderrText), "\(name)")
        }
    }

    @Test("the everyday forms of the commands scripts loop on are taken by the quick path; others are left to ArgumentParser")
    func takenWhenPlain() throws {
        let db = directory.file("store.db")
        let required = ["DQ_QUICK_PATH": "require"]
        let receipt = "1-1795576301119273000-2d7f2c8c66aa2584"
        for arguments in [["put", "q", "a", "--db", db], ["put", "q", "--priority", "-1", "--delay", "0s", "--key", "k", "b", "--db", db],
                          ["--db", db, "put", "q", "--json", "--sync", "full", "c"], ["get", "q", "--db", db],
                          ["get", "q", "--no-wait", "-n", "5", "--db", db], ["get", "q", "--timeout", "10ms", "--db", db],
                          ["get", "q", "--lease", "1m", "--json", "--no-wait", "--db", db], ["len", "q", "--db", db],
                          ["ack", "q", receipt, receipt, "--db", db], ["nack", "q", receipt, "--delay", "1s", "--db", db],
                          ["extend", "q", receipt, "5m", "--db", db], ["kv", "set", "d", "k", "v", "--db", db],
                          ["--db", db, "kv", "get", "d", "k"], ["counter", "add", "c", "--db", db],
                          ["counter", "add", "c", "3", "--db", db], ["counter", "get", "c", "--db", db],
                          ["event", "set", "e", "--db", db], ["event", "is-set", "e", "--db", db], ["--version"]] {
            let result = try dq(arguments, environment: required)
            #expect(result.status != 70, "\(arguments): \(result.stderrText)")
            #expect(!result.stderrText.contains("quick-path"), "\(arguments): \(result.stderrText)")
        }
        for arguments in [["put", "--help"], ["peek", "q", "--db", db], ["put", "q", "--bogus", "--db", db], ["get", "q", "-n", "0", "--db", db],
                          ["ack", "q", "--db", db], ["extend", "q", receipt, "-1s", "--db", db],
                          ["kv", "keys", "d", "--db", db], ["counter", "add", "c", "-1", "--db", db]] {
            let result = try dq(arguments, environment: required)
            #expect(result.status == 70, "\(arguments): \(result.stderrText)")
            #expect(result.stderrText == "dq: not a quick-path command line (DQ_QUICK_PATH=require)\n", "\(arguments)")
        }
    }
}
