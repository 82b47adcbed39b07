import Foundation
import Testing

/// The built `dq` binary, run as a real process: stdout, stderr and exit status.
@Suite("dq command line")
struct CommandLineTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    /// Asserts a failure: the exit status and exactly one `dq: ` line on stderr.
    func expectFailure(_ result: ProcessResult, status: Int32, mentioning text: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stderrText.hasPrefix("dq: "), sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        if let text {
            #expect(result.stderrText.contains(text), "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        }
    }

    @Test("put then get: the body comes back raw, and the queue is then empty", arguments: EngineUnderTest.allCases)
    func putGet(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["put", "q", "hello world", "--db", db]).status == 0)
        let got = try dq(["get", "q", "--db", db])
        #expect(got.status == 0)
        #expect(got.stdoutText == "hello world\n")
        let empty = try dq(["get", "q", "--no-wait", "--db", db])
        #expect(empty.status == 1)
        #expect(empty.stdout.isEmpty && empty.stderr.isEmpty)
    }

    @Test("standard input is one binary-safe message; empty input is an empty message", arguments: EngineUnderTest.allCases)
    func stdinWhole(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let body = Data([0, 1, 2, 0xFF, 0xFE, 10, 0, 13])
        #expect(try dq(["put", "q", "--db", db], stdin: body).status == 0)
        #expect(try dq(["put", "q", "--db", db], stdin: Data()).status == 0)
        #expect(try dq(["get", "q", "--raw", "--db", db]).stdout == body)
        let empty = try dq(["get", "q", "--no-wait", "--raw", "--db", db])
        #expect(empty.status == 0 && empty.stdout.isEmpty)
    }

    @Test("--lines: one message per line, no empty message for the final newline", arguments: EngineUnderTest.allCases)
    func lines(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["put", "q", "--lines", "--db", db], stdin: Data("a\n\nb c\nd\n".utf8)).status == 0)
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "4\n")
        let got = try dq(["get", "q", "-n", "10", "--db", db])
        #expect(got.stdoutText == "a\n\nb c\nd\n")
    }

    @Test("put --lines of a large input shows progress on a terminal, and nothing when piped", arguments: EngineUnderTest.allCases)
    func putProgress(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let input = directory.file("lines.txt")
        try Data((1...30_000).map { "line \($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: input))
        // script(1) gives dq a pseudo-terminal; its output is what the terminal showed.
        let command = "'\(Executables.dq)' put q --lines --db '\(db)' < '\(input)'"
        let terminal = try ChildProcess("/usr/bin/script", ["-qec", command, "/dev/null"]).wait()
        #expect(terminal.status == 0, "\(terminal.stderrText)")
        #expect(terminal.stdoutText.contains("storing 10000 of 30000 messages"), "\(terminal.stdoutText)")
        #expect(terminal.stdoutText.hasSuffix("\r\u{1B}[K"), "the line is erased at the end")
        let piped = try dq(["put", "q", "--lines", "--db", db], stdin: try Data(contentsOf: URL(fileURLWithPath: input)))
        #expect(piped.status == 0 && piped.stderr.isEmpty && piped.stdout.isEmpty)
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "60000\n")
    }

    @Test("a standard input that cannot be read is an error, not an empty message", arguments: EngineUnderTest.allCases)
    func unreadableInput(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let result = try ChildProcess("/bin/sh", ["-c", "'\(Executables.dq)' put q --db '\(db)' < /"]).wait()
        expectFailure(result, status: 73, mentioning: "cannot read standard input")
        expectFailure(try dq(["len", "q", "--db", db]), status: 73, mentioning: "no store at \(db)")
    }

    @Test("a negative duration is refused by name, not taken for an option", arguments: EngineUnderTest.allCases)
    func negativeDuration(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        expectFailure(try dq(["put", "q", "x", "--delay", "-5s", "--db", db]), status: 64, mentioning: "'-5s'")
        expectFailure(try dq(["get", "q", "--timeout", "-1s", "--db", db]), status: 64, mentioning: "'-1s'")
    }

    @Test("-0: NUL-separated input and output", arguments: EngineUnderTest.allCases)
    func nulSeparated(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["put", "q", "-0", "--db", db], stdin: Data("one\0two\nlines\0".utf8)).status == 0)
        let got = try dq(["get", "q", "-n", "5", "-0", "--db", db])
        #expect(got.stdout == Data("one\0two\nlines\0".utf8))
    }

    @Test("--json on put and get; non-UTF-8 bodies come as body_base64", arguments: EngineUnderTest.allCases)
    func json(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let put = try dq(["put", "q", "first", "second", "--json", "--db", db])
        let ids = put.stdoutText.split(separator: "\n").map { line in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String).flatMap { Int64($0) }
        }
        #expect(ids.count == 2 && ids[0] != nil && ids[1]! > ids[0]!)
        #expect(try dq(["put", "q", "--db", db], stdin: Data([0xFF, 0x00])).status == 0)
        let got = try dq(["get", "q", "-n", "3", "--json", "--db", db])
        let objects = try got.stdoutText.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.count == 3)
        #expect(objects[0]["body"] as? String == "first")
        #expect((objects[0]["id"] as? String).flatMap { Int64($0) } == ids[0])
        #expect(objects[0]["attempt"] as? Int == 1)
        #expect((objects[0]["enqueued_at"] as? String)?.hasSuffix("Z") == true)
        #expect(objects[2]["body_base64"] as? String == Data([0xFF, 0x00]).base64EncodedString())
    }

    @Test("JSON lines keep their documented field order, ids as strings, escapes and timestamps", arguments: EngineUnderTest.allCases)
    func jsonText(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        /// The line with each id, timestamp and receipt replaced by ID, TS and R.
        func shape(_ text: String) -> String {
            text.replacing(/"id":"\d+"/, with: "\"id\":ID")
                .replacing(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"/, with: "TS")
                .replacing(/"receipt":"[^"]+"/, with: "\"receipt\":R")
        }
        let body = "a/b \u{8}\u{C}\u{7F}\u{1}\t\"\\ é"
        let put = try dq(["put", "q", body, "--json", "--db", db])
        #expect(shape(put.stdoutText) == "{\"id\":ID,\"duplicate\":false}\n")
        _ = try dq(["put", "q", "second", "--db", db])
        let fields = #""queue":"q","priority":0,"attempt":1,"enqueued_at":TS"#
        let escaped = #""body":"a/b \u0008\u000c\u007f\u0001\t\"\\ é""#
        #expect(shape(try dq(["get", "q", "--json", "--db", db]).stdoutText) == "{\"id\":ID,\(fields),\(escaped)}\n")
        let leased = try dq(["get", "q", "--lease", "1m", "--json", "--db", db])
        #expect(shape(leased.stdoutText) == "{\"id\":ID,\(fields),\"receipt\":R,\"leased_until\":TS,\"body\":\"second\"}\n")
        _ = try dq(["kv", "set", "d", "k", "v\u{8}", "--db", db])
        #expect(try dq(["kv", "items", "d", "--json", "--db", db]).stdoutText == #"{"key":"k","value":"v\u0008"}"# + "\n")
        // Without --json a value that is not UTF-8 keeps its bytes, as with kv get.
        #expect(try dq(["kv", "set", "b", "k", "-", "--db", db], stdin: Data([0x61, 0xFF, 0x62])).status == 0)
        #expect(try dq(["kv", "items", "b", "--db", db]).stdout == Data("k\t".utf8) + Data([0x61, 0xFF, 0x62]) + Data("\n".utf8))
        _ = try dq(["list", "append", "l", "x/y", "--db", db])
        #expect(try dq(["list", "append", "l", "-", "--db", db], stdin: Data([0xFF])).status == 0)
        #expect(try dq(["list", "items", "l", "--json", "--db", db]).stdoutText
                == #"{"index":0,"value":"x/y"}"# + "\n" + #"{"index":1,"value_base64":"/w=="}"# + "\n")
    }

    @Test("--priority, --delay and --key", arguments: EngineUnderTest.allCases)
    func putOptions(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "q", "low", "--db", db])
        _ = try dq(["put", "q", "high", "--priority", "9", "--db", db])
        _ = try dq(["put", "q", "later", "--delay", "1h", "--db", db])
        let first = try dq(["put", "q", "keyed", "--key", "k1", "--json", "--db", db])
        let again = try dq(["put", "q", "keyed again", "--key", "k1", "--json", "--db", db])
        #expect(first.stdoutText.replacing("false", with: "true") == again.stdoutText)
        #expect(try dq(["peek", "q", "-n", "10", "--db", db]).stdoutText == "high\nlow\nkeyed\n")
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "3\n")
        let stats = try dq(["stats", "--json", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        let queues = try #require(object["queues"] as? [[String: Any]])
        #expect(queues.first?["ready"] as? Int == 3)
        #expect(queues.first?["delayed"] as? Int == 1)
        #expect(try dq(["purge", "q", "--json", "--db", db]).stdoutText == "{\"purged\":4}\n")
        #expect(try dq(["peek", "q", "--db", db]).status == 1)
    }

    @Test("--db may come before the subcommand, and $DQ_DB names the store", arguments: EngineUnderTest.allCases)
    func storeSelection(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["--db", db, "put", "q", "x"]).status == 0)
        #expect(try dq(["get", "q"], environment: ["DQ_DB": db]).stdoutText == "x\n")
        #expect(try dq(["--sync", "full", "put", "q", "durable"], environment: ["DQ_DB": db]).status == 0)
        #expect(try dq(["--db=\(db)", "get", "q"]).stdoutText == "durable\n")
        // Also between a command group and its subcommand, and before the group.
        #expect(try dq(["kv", "--db", db, "set", "d", "k", "v"]).status == 0)
        #expect(try dq(["--db", db, "kv", "get", "d", "k"]).stdoutText == "v\n")
        #expect(try dq(["counter", "--sync=full", "--db", db, "add", "c", "2"]).stdoutText == "2\n")
        // A queue named like a group is still a queue.
        #expect(try dq(["--db", db, "put", "list", "x"]).status == 0)
        #expect(try dq(["get", "list", "--db", db, "--no-wait"]).stdoutText == "x\n")
    }

    @Test("a blocked get --timeout 5s returns a message put by another process", arguments: EngineUnderTest.allCases)
    func blockedGetWakes(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["purge", "q", "--db", db])  // create the store first
        let getter = try ChildProcess(Executables.dq, ["get", "q", "--timeout", "5s", "--db", db])
        // Wait until the getter has the store open, so it is waiting when the put lands.
        #expect(eventually { process(getter.pid, waitsOn: db, sqliteFile: db) })
        #expect(try dq(["put", "q", "wake up", "--db", db]).status == 0)
        let result = getter.wait(timeout: .seconds(10))
        #expect(result.status == 0)
        #expect(result.stdoutText == "wake up\n")
    }

    @Test("get --timeout exits 1 with nothing on stdout when nothing comes", arguments: EngineUnderTest.allCases)
    func getTimesOut(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let start = ContinuousClock.now
        let result = try dq(["get", "q", "--timeout", "300ms", "--db", db])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty && result.stderr.isEmpty)
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }

    @Test("get --follow prints messages as they arrive and exits 0 on SIGTERM", arguments: EngineUnderTest.allCases)
    func follow(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["purge", "q", "--db", db])  // creates the store
        let follower = try ChildProcess(Executables.dq, ["get", "q", "--follow", "--db", db])
        for body in ["one", "two", "three"] { _ = try dq(["put", "q", body, "--db", db]) }
        #expect(eventually { (try? dq(["len", "q", "--db", db]).stdoutText) == "0\n" })
        kill(follower.pid, SIGTERM)
        let result = follower.wait(timeout: .seconds(10))
        #expect(result.status == 0)
        #expect(result.stdoutText == "one\ntwo\nthree\n")
    }

    @Test("a file that is not SQLite: exit 65, one line, file byte-identical", arguments: EngineUnderTest.allCases)
    func foreignFile(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let path = directory.file("photo.jpg")
        let original = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) })
        #expect(FileManager.default.createFile(atPath: path, contents: original))
        expectFailure(try dq(["put", "q", "x", "--db", path]), status: 65, mentioning: "not a dq store")
        expectFailure(try dq(["get", "q", "--no-wait", "--db", path]), status: 65)
        #expect(FileManager.default.contents(atPath: path) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["photo.jpg"], "nothing left beside it")
    }

    @Test("invalid queue names: exit 64 with one line", arguments: ["", String(repeating: "q", count: 201), "new\nline", "bell\u{7}"])
    func invalidName(name: String) throws {
        expectFailure(try dq(["put", name, "x", "--db", db]), status: 64, mentioning: "queue name")
        expectFailure(try dq(["get", name, "--db", db]), status: 64, mentioning: "queue name")
    }

    @Test("invalid durations: exit 64 with one line", arguments: ["5x", "-1s", "soon", ""])
    func invalidDuration(text: String) throws {
        expectFailure(try dq(["get", "q", "--timeout", text, "--db", db]), status: 64)
        expectFailure(try dq(["put", "q", "x", "--delay", text, "--db", db]), status: 64)
    }

    @Test("usage errors: exit 64 with one line", arguments: EngineUnderTest.allCases)
    func usageErrors(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        expectFailure(try dq(["put"]), status: 64)
        expectFailure(try dq(["frobnicate"]), status: 64)
        expectFailure(try dq(["get", "q", "-n", "0", "--db", db]), status: 64)
        expectFailure(try dq(["put", "q", "a", "b", "--key", "k", "--db", db]), status: 64)
        expectFailure(try dq(["put", "q", "--sync", "sometimes", "--db", db]), status: 64)
        for group in ["kv", "list", "counter", "event"] {
            expectFailure(try dq([group]), status: 64, mentioning: "needs a subcommand")
        }
    }

    @Test("usage errors say what was wrong: an unknown command or subcommand, a value read as an option", arguments: EngineUnderTest.allCases)
    func usageErrorsExplained(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        expectFailure(try dq(["frobnicate", "q"]), status: 64, mentioning: "unknown command 'frobnicate'")
        expectFailure(try dq(["event", "sett", "e", "--db", db]), status: 64,
                      mentioning: "unknown event command 'sett': use one of set, clear, is-set, wait")
        expectFailure(try dq(["--db", db, "kv", "gett", "d", "k"]), status: 64, mentioning: "unknown kv command 'gett'")
        // ArgumentParser takes -5 and -1s for options: the message says so, not only that a value is missing.
        for quickPath in ["on", "off"] {
            let environment = ["DQ_QUICK_PATH": quickPath]
            expectFailure(try dq(["kv", "set", "d", "k", "-5", "--db", db], environment: environment), status: 64,
                          mentioning: "missing expected argument '<value>' ('-5' was read as an option: put -- before a value that starts with -)")
            expectFailure(try dq(["extend", "q", "1-2-3", "-1s", "--db", db], environment: environment), status: 64,
                          mentioning: "'-1s' was read as an option")
            expectFailure(try dq(["put", "q", "-5", "--db", db], environment: environment), status: 64,
                          mentioning: "unknown option '-5' (for a value that starts with -, put -- before it)")
            expectFailure(try dq(["get", "q", "--max-attempts", "-1", "--db", db], environment: environment), status: 64,
                          mentioning: "('-1' was read as an option: write --max-attempts=-1)")
        }
        expectFailure(try dq(["get", "q", "--max-attempts=-1", "--db", db]), status: 64, mentioning: "--max-attempts must be at least 1")
        #expect(try dq(["kv", "set", "d", "k", "--db", db, "--", "-5"]).status == 0)
        #expect(try dq(["kv", "get", "d", "k", "--db", db]).stdoutText == "-5\n")
        expectFailure(try dq(["get", "q", "--bogus", "--db", db]), status: 64)
        #expect(try dq(["get", "q", "--bogus", "--db", db]).stderrText == "dq: unknown option '--bogus'\n", "no hint for a real option")
    }

    @Test("arguments that are not UTF-8: a name or key is refused (64), a BODY or VALUE keeps its bytes", arguments: EngineUnderTest.allCases)
    func argumentsNotUTF8(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        // Swift cannot put such bytes in an argument: a shell's printf does.
        func shell(_ script: String) throws -> ProcessResult {
            try ChildProcess("/bin/sh", ["-c", script], environment: ["DQ": Executables.dq, "DB": db]).wait()
        }
        expectFailure(try shell(#""$DQ" put "$(printf 'a\376b')" x --db "$DB""#), status: 64, mentioning: "not valid UTF-8")
        expectFailure(try shell(#""$DQ" kv set "$(printf 'd\377')" k v --db "$DB""#), status: 64, mentioning: "not valid UTF-8")
        expectFailure(try shell(#""$DQ" kv set d "$(printf 'k\377')" v --db "$DB""#), status: 64, mentioning: "not valid UTF-8")
        expectFailure(try shell(#""$DQ" put q x --key "$(printf 'k\376')" --db "$DB""#), status: 64, mentioning: "not valid UTF-8")
        #expect(try shell(#""$DQ" put q "$(printf 'bin\376')" "$(printf '\377')" --db "$DB""#).status == 0)
        #expect(try dq(["get", "q", "--raw", "--db", db]).stdout == Data([0x62, 0x69, 0x6E, 0xFE]))
        #expect(try dq(["get", "q", "--raw", "--db", db]).stdout == Data([0xFF]))
        #expect(try shell(#""$DQ" kv set d k "$(printf 'v\377')" --db "$DB""#).status == 0)
        #expect(try dq(["kv", "get", "d", "k", "--raw", "--db", db]).stdout == Data([0x76, 0xFF]))
    }

    @Test("an unwritable location: exit 73 with one line", arguments: EngineUnderTest.allCases)
    func unwritable(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let blocker = directory.file("plain-file")
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        expectFailure(try dq(["put", "q", "x", "--db", blocker + "/sub/store.db"]), status: 73, mentioning: "cannot create directory")
        expectFailure(try dq(["put", "q", "x", "--db", directory.path]), status: 73, mentioning: "directory")
        expectFailure(try dq(["put", "q", "x", "--db", "/proc/dq-test/store.db"]), status: 73)
    }

    @Test("ack settles every receipt it can: a stale one among them is reported (65), the others are still acked", arguments: EngineUnderTest.allCases)
    func ackPastStaleReceipt(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "q", "a", "b", "--db", db])
        let receipts = try (1...2).map { _ in
            let leased = try dq(["get", "q", "--lease", "1m", "--json", "--no-wait", "--db", db])
            return try #require(leased.stdoutText.firstMatch(of: /"receipt":"([^"]+)"/)).output.1
        }
        #expect(try dq(["ack", "q", String(receipts[0]), "--db", db]).status == 0)
        for quickPath in ["on", "off"] {
            let result = try dq(["ack", "q", String(receipts[0]), String(receipts[1]), "--db", db],
                                environment: ["DQ_QUICK_PATH": quickPath])
            expectFailure(result, status: 65, mentioning: quickPath == "on"
                          ? "1 of 2 receipts acked, 1 not: receipt \(receipts[0]) is stale"
                          : "0 of 2 receipts acked, 2 not: receipt \(receipts[0]) is stale")
        }
        let stats = try dq(["stats", "--json", "--db", db])
        #expect(!stats.stdoutText.contains("\"leased\":1"), "the second receipt was acked: \(stats.stdoutText)")
        #expect(try dq(["get", "q", "--no-wait", "--db", db]).status == 1)
    }

    @Test("a receipt given to the wrong queue says which queue it is from (64) and settles nothing; one named twice is acked once", arguments: EngineUnderTest.allCases)
    func receiptOfAnotherQueue(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "jobs", "a", "--db", db])
        let leased = try dq(["get", "jobs", "--lease", "1m", "--json", "--no-wait", "--db", db])
        let receipt = String(try #require(leased.stdoutText.firstMatch(of: /"receipt":"([^"]+)"/)).output.1)
        for command in [["ack", "other", receipt], ["nack", "other", receipt], ["extend", "other", receipt, "1m"]] {
            expectFailure(try dq(command + ["--db", db]), status: 64,
                          mentioning: "receipt \(receipt) is from queue jobs, not other")
        }
        #expect(try dq(["ack", "jobs", receipt, receipt, "--db", db]).status == 0)
        #expect(try dq(["stats", "--json", "--db", db]).stdoutText.contains("\"queues\":[]"))
    }

    @Test("counter numbers may be negative, written plainly or after --, for add, set and wait alike", arguments: EngineUnderTest.allCases)
    func counterNegativeNumbers(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        #expect(try dq(["counter", "set", "c", "--db", db, "--", "-5"]).status == 0)
        #expect(try dq(["counter", "add", "c", "--db", db, "--", "-2"]).stdoutText == "-7\n")
        #expect(try dq(["counter", "add", "c", "3", "--db", db, "--"]).stdoutText == "-4\n")
        #expect(try dq(["counter", "wait", "c", "-4", "--timeout", "10ms", "--db", db]).stdoutText == "-4\n")
        #expect(try dq(["counter", "wait", "c", "--timeout", "10ms", "--db", db, "--", "-6"]).stdoutText == "-4\n")
        #expect(try dq(["counter", "wait", "c", "-3", "--timeout", "10ms", "--db", db]).status == 1)
        expectFailure(try dq(["counter", "wait", "c", "soon", "--db", db]), status: 64, mentioning: "whole number")
        expectFailure(try dq(["counter", "set", "c", "--db", db, "--", "--"]), status: 64, mentioning: "whole number")
    }

    @Test("completion scripts for bash, zsh and fish name the commands", arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) throws {
        let result = try dq(["--generate-completion-script", shell])
        #expect(result.status == 0)
        for command in ["put", "get", "worker", "kv", "lock"] { #expect(result.stdoutText.contains(command), "\(command)") }
    }

    @Test("stats --watch shows a new view when another process changes the store", arguments: EngineUnderTest.allCases)
    func statsWatch(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "warm", "x", "--db", db])
        let watcher = try ChildProcess(Executables.dq, ["stats", "--watch", "--count", "2", "--json", "--db", db])
        #expect(eventually { process(watcher.pid, uses: db) })
        _ = try dq(["put", "jobs", "a", "b", "--db", db])
        let result = watcher.wait(timeout: .seconds(20))
        #expect(result.status == 0, "\(result.stderrText)")
        let views = result.stdoutText.split(separator: "\n")
        #expect(views.count == 2)
        #expect(views.last?.contains("\"name\":\"jobs\",\"ready\":2") == true, "\(views.last ?? "")")
    }

    @Test("stats --watch shows each queue's rate of messages in between views", arguments: EngineUnderTest.allCases)
    func statsWatchRates(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "q", "x", "--db", db])
        let watcher = try ChildProcess(Executables.dq, ["stats", "--watch", "--count", "2", "--json", "--db", db])
        // The puts go between the two views (the first one printed, the next a second later).
        #expect(eventually(timeout: .seconds(20)) { watcher.stdoutSoFar.contains("\n") })
        _ = try dq(["put", "q", "a", "b", "c", "--db", db])
        let result = watcher.wait(timeout: .seconds(20))
        #expect(result.status == 0, "\(result.stderrText)")
        let views = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(views.count == 2)
        struct View: Decodable {
            struct Row: Decodable { let name: String; let in_per_s: Double?; let out_per_s: Double? }
            let queues: [Row]
        }
        let first = try JSONDecoder().decode(View.self, from: Data(views[0].utf8))
        let second = try JSONDecoder().decode(View.self, from: Data(views[1].utf8))
        #expect(first.queues.first?.in_per_s == nil, "no rate before a second reading")
        #expect((second.queues.first?.in_per_s ?? 0) > 0, "\(views[1])")
    }

    @Test("--help explains and --version prints the version", arguments: EngineUnderTest.allCases)
    func help(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let help = try dq(["--help"])
        #expect(help.status == 0)
        for command in ["put", "get", "peek", "len", "purge", "stats"] { #expect(help.stdoutText.contains(command)) }
        let getHelp = try dq(["get", "--help"])
        #expect(getHelp.status == 0 && getHelp.stdoutText.contains("--timeout"))
        let version = try dq(["--version"])
        #expect(version.status == 0 && !version.stdoutText.isEmpty)
        #expect(help.stdoutText.contains("--db <path>") && help.stdoutText.contains("--sync <normal|full>"), "global options shown")
    }

    @Test("shell completion offers the store's names: queues after get, dicts after kv get, files after --db; a missing store offers nothing and stays missing", arguments: EngineUnderTest.allCases)
    func completions(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["put", "jobs", "x", "--db", db])
        _ = try dq(["put", "jokes", "x", "--db", db])
        _ = try dq(["put", "other", "x", "--db", db])
        _ = try dq(["kv", "set", "config", "k", "v", "--db", db])
        // What the generated scripts run: the words up to the one being completed.
        let queues = try dq(["---completion", "get", "--", "positional@0", "4", "2", "dq", "get", "--db", db, "jo"])
        #expect(queues.status == 0 && queues.stdoutText == "jobs\njokes\n")
        let fromEnvironment = try dq(["---completion", "peek", "--", "positional@0", "2", "0", "dq", "peek", ""],
                                     environment: ["DQ_DB": db])
        #expect(fromEnvironment.stdoutText == "jobs\njokes\nother\n")
        let dicts = try dq(["---completion", "kv", "get", "--", "positional@0", "5", "0", "dq", "kv", "get", "--db", db, ""])
        #expect(dicts.stdoutText == "config\n")
        let missing = directory.file("none/store.db")
        let none = try dq(["---completion", "get", "--", "positional@0", "4", "0", "dq", "get", "--db", missing, ""])
        #expect(none.status == 0 && none.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.file("none")))
        let script = try dq(["--generate-completion-script", "bash"])
        #expect(script.status == 0 && script.stdoutText.contains("---completion"))
        #expect(script.stdoutText.contains("--db"))
    }

    @Test("help shows options only where they apply, and help for a command that does not exist is a usage error", arguments: EngineUnderTest.allCases)
    func helpWhereItApplies(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        // --sync changes nothing for a command that only reads: accepted, not shown.
        for reader in [["len"], ["peek"], ["stats"], ["doctor"], ["kv", "get"], ["counter", "get"]] {
            let help = try dq(reader + ["--help"]).stdoutText
            #expect(help.contains("--db") && !help.contains("--sync"), "\(reader)")
        }
        #expect(try dq(["put", "--help"]).stdoutText.contains("--sync"))
        #expect(try dq(["--sync", "full", "len", "q", "--db", db]).status == 73, "still accepted: no store yet")
        for arguments in [["help", "bogus"], ["help", "kv", "bogus"]] {
            let result = try dq(arguments)
            #expect(result.status == 64 && result.stderrText.hasPrefix("dq: unknown"), "\(arguments): \(result.stderrText)")
        }
        #expect(try dq(["help", "kv"]).status == 0)
    }
}
