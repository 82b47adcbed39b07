import DurableQueue
@testable import DurableQueuePostgres
import Foundation
import Testing

/// The test server's address for a database with the password `s3cret` (trust
/// authentication ignores it), to show that no output ever repeats it.
private func withPassword(_ db: String) -> String {
    db.replacing("@/", with: ":s3cret@/", maxReplacements: 1)
}

/// Expects `result` to have failed with `status` and exactly one `dq: ` line on stderr
/// that mentions `text` and not the password.
private func expectOneLine(_ result: ProcessResult, status: Int32, mentioning text: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == status, "\(result.stderrText)", sourceLocation: sourceLocation)
    #expect(result.stderrLines.count == 1 && result.stderrText.hasPrefix("dq: "), "\(result.stderrText)", sourceLocation: sourceLocation)
    #expect(result.stderrText.contains(text), "\(result.stderrText)", sourceLocation: sourceLocation)
    #expect(!result.stderrText.contains("s3cret") && !result.stdoutText.contains("s3cret"), "\(result.stderrText)",
            sourceLocation: sourceLocation)
}

/// `dq doctor --db postgres://…`: the server, schema, integrity, leases, dead letters,
/// size and bloat checks, and a server that refuses.
@Suite("dq doctor on PostgreSQL")
struct PostgresDoctorTests {
    @Test("a healthy store with one dead letter: every check, its numbers, a warning and exit 0",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
    func healthy() throws {
        let db = try PostgresTestServer.freshDatabase()
        #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
        // Its one delivery fails: the message is dead.
        let worker = try dq(["worker", "q", "--max-attempts", "1", "--exit-when-empty", "--db", db, "--", "false"], timeout: .seconds(30))
        #expect(worker.status == 0, "\(worker.stderrText)")
        let result = try dq(["doctor", "--json", "--db", db])
        #expect(result.status == 0, "\(result.stderrText)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(object["status"] as? String == "warning")
        #expect(object["path"] as? String == db)
        let checks = object["checks"] as? [[String: Any]] ?? []
        #expect(checks.compactMap { $0["check"] as? String }
            == ["server", "schema", "integrity", "leases", "dead letters", "size", "bloat"], "\(checks)")
        let warned = checks.filter { $0["status"] as? String != "ok" }.compactMap { $0["check"] as? String }
        #expect(warned == ["dead letters"], "\(checks)")
        var values: [String: Int] = [:]
        for check in checks { values.merge(check["values"] as? [String: Int] ?? [:]) { $1 } }
        #expect((values["server_version_num"] ?? 0) >= 100_000, "\(values)")
        #expect(values["version"] == PostgresSchema.version, "\(values)")
        #expect(values["leased"] == 0 && values["past_lease"] == 0 && values["dead"] == 1, "\(values)")
        #expect((values["db_bytes"] ?? 0) > 0 && values["dead_tuples"] != nil && values["live_tuples"] != nil, "\(values)")
        let text = try dq(["doctor", "--db", db])
        #expect(text.status == 0 && text.stderrText.isEmpty, "\(text.stderrText)")
        #expect(text.stdoutText.contains("warning dead letters: q: 1"), "\(text.stdoutText)")
        #expect(text.stdoutText.contains("ok      integrity: ok"), "\(text.stdoutText)")
    }

    @Test("a lease run out and a table of deleted rows: the leases and bloat checks warn, with their numbers",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
    func warnings() throws {
        let db = try PostgresTestServer.freshDatabase()
        let lines = (1...12_000).map { "m\($0)\n" }.joined()
        #expect(try dq(["put", "big", "--lines", "--db", db], stdin: Data(lines.utf8)).status == 0)
        // Autovacuum must not clean up before the doctor looks.
        #expect(PostgresTestServer.run("ALTER TABLE dq.messages SET (autovacuum_enabled = false)", on: db))
        #expect(try dq(["purge", "big", "--db", db]).status == 0)
        #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
        // A lease of 1 ms whose holder exited: past its lease until the next get.
        #expect(try dq(["get", "q", "--lease", "1ms", "--json", "--db", db]).stdoutText.contains(#""body":"x""#))
        var checks: [String: [String: Any]] = [:]
        #expect(eventually(timeout: .seconds(10)) {
            guard let result = try? dq(["doctor", "--json", "--db", db]),
                  let object = try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] else { return false }
            for check in object["checks"] as? [[String: Any]] ?? [] { checks[check["check"] as? String ?? ""] = check }
            return result.status == 0 && checks["bloat"]?["status"] as? String == "warning"
        }, "\(checks)")
        #expect(checks["leases"]?["status"] as? String == "warning", "\(checks)")
        #expect((checks["leases"]?["values"] as? [String: Int])?["past_lease"] == 1, "\(checks)")
        let bloat = checks["bloat"]?["values"] as? [String: Int] ?? [:]
        #expect((bloat["dead_tuples"] ?? 0) >= 12_000 && (bloat["live_tuples"] ?? .max) < 100, "\(checks)")
        let text = try dq(["doctor", "--db", db]).stdoutText
        #expect(text.contains("warning leases: 0 leased, 1 past their lease"), "\(text)")
        #expect(text.contains("autovacuum is behind: VACUUM dq's tables"), "\(text)")
    }

    @Test("a database that does not exist, or has no dq schema: exit 73, one dq: line, no password",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
    func refused() throws {
        let db = try PostgresTestServer.freshDatabase()
        let missing = withPassword(db).replacing(/\/dq_test_[0-9_]+\?/, with: "/no_such_db?")
        let result = try dq(["doctor", "--db", missing])
        expectOneLine(result, status: 73, mentioning: "no_such_db")
        #expect(result.stdoutText.contains("PROBLEM server: "), "\(result.stdoutText)")
        let json = try dq(["doctor", "--json"], environment: ["DQ_DB": missing])
        expectOneLine(json, status: 73, mentioning: "no_such_db")
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(object["status"] as? String == "problem")
        // The server answers, the database is empty: no store there, as for a missing file.
        let empty = try dq(["doctor", "--db", withPassword(db)])
        expectOneLine(empty, status: 73, mentioning: "no store at")
        #expect(empty.stdoutText.contains("ok      server: PostgreSQL"), "\(empty.stdoutText)")
    }
}

/// Faults on the PostgreSQL engine (SPEC "Engines"): a server that cannot be reached or
/// refuses the login, passwords kept out of every output, and a server restarted or
/// stopped under a waiting consumer.
@Suite("PostgreSQL faults")
struct PostgresFaultTests {
    let directory = TemporaryDirectory()

    @Test("unreachable server or refused database: put, get and stats exit 73 with one dq: line, --db or $DQ_DB",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
    func unreachable() throws {
        let db = try PostgresTestServer.freshDatabase()
        let refused = withPassword(db).replacing(/\/dq_test_[0-9_]+\?/, with: "/no_such_db?")
        let nowhere = "postgres://dq:s3cret@/dq?host=\(directory.file("absent"))"
        for (address, reason) in [(nowhere, "cannot connect to PostgreSQL"), (refused, "no_such_db")] {
            for command in [["put", "q", "x"], ["get", "q", "--timeout", "5s"], ["stats"]] {
                expectOneLine(try dq(command + ["--db", address], timeout: .seconds(30)), status: 73, mentioning: reason)
                expectOneLine(try dq(command, environment: ["DQ_DB": address], timeout: .seconds(30)), status: 73, mentioning: reason)
            }
        }
    }

    @Test("stats, doctor and worker warnings never show the password",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
    func passwordHidden() throws {
        let db = withPassword(try PostgresTestServer.freshDatabase())
        #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
        // A failing command's message goes to the dead letters with a line on stderr.
        let worker = try dq(["worker", "q", "--max-attempts", "1", "--exit-when-empty", "--db", db, "--", "false"], timeout: .seconds(30))
        #expect(worker.stderrText.contains("dead after 1 attempt"), "\(worker.stderrText)")
        var outputs = [worker]
        for command in [["stats"], ["stats", "--json"], ["doctor"], ["doctor", "--json"]] {
            let result = try dq(command + ["--db", db])
            #expect(result.status == 0, "\(command): \(result.stderrText)")
            outputs.append(result)
        }
        #expect(outputs[3].stdoutText.contains("postgres://dq:***@/"), "\(outputs[3].stdoutText)")
        for result in outputs {
            #expect(!result.stdoutText.contains("s3cret") && !result.stderrText.contains("s3cret"), "\(result.stdoutText) \(result.stderrText)")
        }
    }

    @Test("a password given in $DQ_DB is on no command line (ps) of dq or of what it runs",
          .enabled(if: PostgresTestServer.address != nil, "DQ_TEST_POSTGRES is not set"))
    func passwordOffCommandLines() throws {
        let db = withPassword(try PostgresTestServer.freshDatabase())
        let environment = ["DQ_DB": db]
        #expect(try dq(["put", "q", "job"], environment: environment).status == 0)
        let started = directory.file("started")
        // A worker running a command, a blocked get and a held lock, all at once; each
        // command's shell stays, with every argument it was given, and its sleep's pid
        // goes to a file.
        func sleeping(_ file: String) -> String { "sleep 30 </dev/null >/dev/null 2>&1 & echo $! > \(file); wait" }
        let worker = try ChildProcess(Executables.dq, ["worker", "q", "--", "sh", "-c", "cat >/dev/null; \(sleeping(started))"],
                                      environment: environment)
        let waiting = try ChildProcess(Executables.dq, ["get", "empty", "--timeout", "30s"], environment: environment)
        let locked = try ChildProcess(Executables.dq, ["lock", "L", "--", "sh", "-c", "\(sleeping(started + "-lock"))"],
                                      environment: environment)
        defer {
            for process in [worker, waiting, locked] { kill(process.pid, SIGKILL); _ = process.wait() }
            for file in [started, started + "-lock"] {
                if let pid = (try? String(contentsOfFile: file, encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                    kill(pid, SIGKILL)
                }
            }
        }
        #expect(eventually(timeout: .seconds(20)) {
            [started, started + "-lock"].allSatisfy { ((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "").hasSuffix("\n") }
        })
        let commandLines = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { entry -> (String, String)? in
            guard Int32(entry) != nil, let line = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")) else { return nil }
            return (entry, String(decoding: line.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self))
        }
        let ours = commandLines.filter { $0.1.contains(Executables.dq) || $0.1.contains("sleep 30 ") }
        #expect(ours.count >= 5, "the three dq processes and two commands: \(ours)")
        #expect(commandLines.filter { $0.1.contains("s3cret") }.isEmpty, "\(commandLines.filter { $0.1.contains("s3cret") })")
    }

    @Test("a private server restarted under a waiting get: it gets the next put; stopped for good: exit 75",
          .timeLimit(.minutes(2)))
    func serverRestarted() throws {
        guard let cluster = try PrivateCluster(in: directory) else { return }
        defer { cluster.stop() }
        let db = "postgres://dq@/dq?host=\(cluster.socketDirectory)"
        let waiting = try ChildProcess(Executables.dq, ["get", "q", "--timeout", "60s", "--db", db])
        #expect(eventually(timeout: .seconds(30)) { PostgresTestServer.listeners(on: db, pid: waiting.pid) > 0 })
        try #require(try cluster.pgCtl(["restart", "-m", "fast", "-w"]).status == 0)
        // The waiter reconnects and listens again on its own (not only by its safety re-check).
        #expect(eventually(timeout: .seconds(15)) { PostgresTestServer.listeners(on: db, pid: waiting.pid) > 0 })
        let put = try dq(["put", "q", "hello", "--db", db])
        #expect(put.status == 0, "\(put.stderrText)")
        let putDone = ContinuousClock.now
        let got = waiting.wait(timeout: .seconds(30))
        #expect(got.status == 0 && got.stdoutText == "hello\n", "\(got.status) \(got.stdoutText) \(got.stderrText)")
        #expect(ContinuousClock.now - putDone < .seconds(3), "the get took \(ContinuousClock.now - putDone) after the put")

        let orphan = try ChildProcess(Executables.dq, ["get", "q", "--timeout", "60s", "--db", db])
        #expect(eventually(timeout: .seconds(30)) { PostgresTestServer.listeners(on: db, pid: orphan.pid) > 0 })
        try #require(try cluster.pgCtl(["stop", "-m", "fast", "-w"]).status == 0)
        let stopped = ContinuousClock.now
        let lost = orphan.wait(timeout: .seconds(30))
        let took = ContinuousClock.now - stopped
        #expect(lost.status == 75 && lost.stderrLines.count == 1 && lost.stderrText.hasPrefix("dq: "), "\(lost.status) \(lost.stderrText)")
        // It tried to reconnect for the busy timeout (10 s), not given up at once.
        #expect(lost.stderrText.contains("could not get it back within"), "\(lost.stderrText)")
        #expect(took < .seconds(15), "the get gave up after \(took)")
    }

    @Test("a private server restarted under dq lock: the command gets SIGTERM, dq exits 75 with one line",
          .timeLimit(.minutes(2)))
    func lockLost() throws {
        guard let cluster = try PrivateCluster(in: directory) else { return }
        defer { cluster.stop() }
        let db = "postgres://dq@/dq?host=\(cluster.socketDirectory)"
        let started = directory.file("started")
        let holder = try ChildProcess(Executables.dq, ["lock", "deploy", "--db", db, "--", "sh", "-c", "touch \(started); exec sleep 60"])
        #expect(eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: started) })
        try #require(try cluster.pgCtl(["restart", "-m", "fast", "-w"]).status == 0)
        let result = holder.wait(timeout: .seconds(30))
        #expect(result.status == 75, "\(result.status) \(result.stderrText)")
        #expect(result.stderrLines.count == 1 && result.stderrText.hasPrefix("dq: lost lock deploy"), "\(result.stderrText)")
        // The lock is free for the next holder.
        let next = try dq(["lock", "deploy", "--timeout", "5s", "--db", db, "--", "true"])
        #expect(next.status == 0, "\(next.stderrText)")
    }
}

/// A PostgreSQL cluster of one test's own, in `directory`: made with `initdb` (as the
/// user postgres when the tests run as root), listening only on a unix socket there.
struct PrivateCluster {
    let binaries: String
    let socketDirectory: String
    let data: String
    /// Runs a server program as the user postgres when the tests run as root (the server
    /// refuses to run as root).
    let prefix: [String]

    /// Makes and starts the cluster, with the database `dq` owned by the superuser `dq`;
    /// `nil` (the reason printed) when PostgreSQL's server programs are missing or
    /// `initdb` cannot run here.
    init?(in directory: TemporaryDirectory) throws {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        guard let version = versions.last else {
            print("skipped: no \(root)/*/bin/initdb (PostgreSQL's server programs are not installed)")
            return nil
        }
        binaries = "\(root)/\(version)/bin"
        socketDirectory = directory.path
        data = directory.file("data")
        prefix = geteuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        if geteuid() == 0 {
            let chown = try ChildProcess("/bin/chown", ["postgres", directory.path]).wait(timeout: .seconds(10))
            guard chown.status == 0 else {
                print("skipped: cannot give \(directory.path) to the user postgres: \(chown.stderrText)")
                return nil
            }
        }
        let initdb = try run("initdb", ["-D", data, "-U", "dq", "--auth=trust", "--no-sync"], timeout: .seconds(120))
        guard initdb.status == 0 else {
            print("skipped: initdb cannot run here: \(initdb.stderrText)")
            return nil
        }
        let started = try pgCtl(["start", "-w"])
        if started.status != 0 { stop() }
        try #require(started.status == 0, "pg_ctl start: \(started.stdoutText) \(started.stderrText)")
        let created = try ChildProcess(binaries + "/createdb", ["-h", socketDirectory, "-U", "dq", "dq"]).wait(timeout: .seconds(30))
        if created.status != 0 { stop() }
        try #require(created.status == 0, "createdb: \(created.stderrText)")
    }

    /// Runs the server program `name` with `arguments`, as postgres when root.
    func run(_ name: String, _ arguments: [String], timeout: Duration = .seconds(60)) throws -> ProcessResult {
        let argv = prefix + [binaries + "/" + name] + arguments
        return try ChildProcess(argv[0], Array(argv.dropFirst())).wait(timeout: timeout)
    }

    /// `pg_ctl ACTION` on this cluster, its server listening only on the socket and
    /// logging to a file (a server started with the test's pipes as its output would
    /// keep them open).
    func pgCtl(_ arguments: [String]) throws -> ProcessResult {
        try run("pg_ctl", ["-D", data, "-l", socketDirectory + "/server.log",
                           "-o", "-k \(socketDirectory) -c listen_addresses='' -c fsync=off"] + arguments)
    }

    /// Stops the server at once, if it runs.
    func stop() {
        _ = try? pgCtl(["stop", "-m", "immediate", "-w"])
    }
}
