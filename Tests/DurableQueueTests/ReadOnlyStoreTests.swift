@testable import DurableQueue
import Foundation
import Testing

/// Commands that only read never create a store, and work on one the user may only read.
@Suite("Read-only commands")
struct ReadOnlyStoreTests {
    let directory = TemporaryDirectory()

    /// Every command that only reads, on a store holding: queue `jobs` with `hello`,
    /// dict `d` with `k` = `v`, list `l` of `a`, `b`, counter `c` at 5, event `e` set.
    /// With the standard output and exit status each gives there.
    static let readers: [(arguments: [String], stdout: String?, status: Int32)] = [
        (["len", "jobs"], "1\n", 0),
        (["peek", "jobs"], "hello\n", 0),
        (["dead", "jobs"], "", 1),
        (["stats"], nil, 0),
        (["stats", "--json"], nil, 0),
        (["doctor"], nil, 0),
        (["kv", "get", "d", "k"], "v\n", 0),
        (["kv", "keys", "d"], "k\n", 0),
        (["kv", "items", "d"], "k\tv\n", 0),
        (["list", "items", "l"], "a\nb\n", 0),
        (["list", "len", "l"], "2\n", 0),
        (["counter", "get", "c"], "5\n", 0),
        (["event", "is-set", "e"], "", 0),
        (["event", "is-set", "other"], "", 1),
    ]

    /// The readers `QuickPath` parses itself.
    static let quickReaders: Set<[String]> = [["len", "jobs"], ["kv", "get", "d", "k"], ["counter", "get", "c"],
                                               ["event", "is-set", "e"]]

    /// Commands that write, and what each would change.
    static let writers: [[String]] = [
        ["put", "jobs", "x"], ["get", "jobs", "--no-wait"], ["purge", "jobs"], ["kv", "set", "d", "k", "w"],
        ["kv", "del", "d", "k"], ["list", "append", "l", "c"], ["list", "pop", "l"], ["counter", "add", "c"],
        ["counter", "set", "c", "9"], ["event", "clear", "e"],
    ]

    /// How `DQ_QUICK_PATH` is set for a run: ArgumentParser for everything, or the quick
    /// path required for the command lines it takes.
    static let parsers = ["off", "require"]

    func environment(_ parser: String, _ arguments: [String]) -> [String: String] {
        ["DQ_QUICK_PATH": parser == "require" && !Self.quickReaders.contains(arguments) ? "on" : parser]
    }

    /// Asserts one `dq: ` line on stderr, `status`, and nothing on stdout.
    func expectFailure(_ result: ProcessResult, status: Int32, _ text: String, quietIsExpected: Bool = true,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stderrLines == [result.stderrText.trimmingCharacters(in: .newlines)] && result.stderrText.hasPrefix("dq: "),
                "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stderrText.contains(text), "stderr: \(result.stderrText)", sourceLocation: sourceLocation)
        // `dq doctor` prints its report whatever it finds.
        if !quietIsExpected { return }
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("each read-only command on a missing store exits 73 with 'no store at PATH', creating no folder or file",
          arguments: parsers)
    func missingStore(parser: String) throws {
        let folder = directory.file("typo")
        let path = folder + "/stroe.db"
        for (arguments, _, _) in Self.readers {
            let result = try dq(arguments + ["--db", path], environment: environment(parser, arguments))
            expectFailure(result, status: 73, "no store at \(path)", quietIsExpected: arguments[0] != "doctor")
            #expect(!FileManager.default.fileExists(atPath: folder), "\(arguments) made \(folder)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("a misspelt DQ_DB is no store either, and nothing is created", arguments: parsers)
    func misspeltEnvironment(parser: String) throws {
        let path = directory.file("stroe.db")
        for (arguments, _, _) in Self.readers {
            let result = try dq(arguments, environment: environment(parser, arguments).merging(["DQ_DB": path]) { $1 })
            expectFailure(result, status: 73, "no store at \(path)", quietIsExpected: arguments[0] != "doctor")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("an empty file is no store to a reader, and stays empty")
    func emptyFile() throws {
        let path = directory.file("empty.db")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        expectFailure(try dq(["len", "jobs", "--db", path]), status: 73, "no store at \(path) (the file is empty)")
        expectFailure(try dq(["stats", "--db", path]), status: 73, "no store at \(path) (the file is empty)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["empty.db"])
        #expect(StoreLocation.fileSize(path) == 0)
    }

    @Test("writers and waits create a missing store, as before")
    func writersCreate() throws {
        let put = directory.file("a/put.db")
        #expect(try dq(["put", "jobs", "x", "--db", put]).status == 0)
        #expect(try dq(["len", "jobs", "--db", put]).stdoutText == "1\n")
        let wait = directory.file("b/wait.db")
        let waited = try dq(["counter", "wait", "c", "1", "--timeout", "10ms", "--db", wait])
        #expect(waited.status == 1 && waited.stderr.isEmpty, "stderr: \(waited.stderrText)")
        #expect(try dq(["counter", "get", "c", "--db", wait]).stdoutText == "0\n")
    }

    @Test("Store with access .existing or .readOnly refuses a missing store and creates nothing")
    func libraryMissing() throws {
        let path = directory.file("sub/none.db")
        for access in [StoreAccess.existing, .readOnly] {
            #expect {
                _ = try Store(path: path, options: StoreOptions(access: access))
            } throws: { error in
                (error as? DQError)?.kind == .storeUnavailable && (error as? DQError)?.message == "no store at \(path)"
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("Store opened .readOnly reads, refuses writes and waits, and creates or changes no file")
    func libraryReadOnly() throws {
        let path = directory.file("store.db")
        // Made by other processes, which are done with the store's files once they exit.
        #expect(try dq(["put", "jobs", "hello", "--db", path]).status == 0)
        #expect(try dq(["counter", "add", "c", "5", "--db", path]).status == 0)
        let before = try listing(directory.path)
        let store = try Store(path: path, options: StoreOptions(access: .readOnly))
        #expect(try store.queue("jobs").count() == 1)
        #expect(try store.counter("c").get() == 5)
        #expect(try store.stats().queues.map(\.name) == ["jobs"])
        #expect(throws: DQError.self) { try store.queue("jobs").put("no") }
        do {
            try store.counter("c").add(1)
            Issue.record("a write to a read-only store succeeded")
        } catch {
            #expect(error.kind == .permissionDenied && error.message.contains("open read-only"), "\(error)")
        }
        do {
            _ = try store.counter("c").wait(atLeast: 6, timeout: .milliseconds(10))
            Issue.record("a wait on a read-only store went ahead")
        } catch {
            #expect(error.kind == .permissionDenied, "\(error)")
        }
        let after = try listing(directory.path)
        #expect(after == before, "\(before) -> \(after)")
        #expect(try Store(path: path).counter("c").get() == 5)
    }

    // MARK: A store the user may only read

    /// Whether this process can run commands as another user (`runuser -u nobody`).
    static let canRunAsNobody = geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser")

    /// Runs `dq` as the user nobody.
    func dqAsNobody(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try ChildProcess("/usr/sbin/runuser", ["-u", "nobody", "--", Executables.dq] + arguments, environment: environment).wait()
    }

    /// A store made by root (mode 0644 once made, in a 0755 folder) with what `readers`
    /// expect; its path.
    func rootStore() throws -> String {
        // mkdtemp made the test's directory 0700: nobody must be able to reach in.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let folder = directory.file("shared")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        let path = folder + "/store.db"
        for arguments in [["put", "jobs", "hello"], ["kv", "set", "d", "k", "v"], ["list", "append", "l", "a", "b"],
                          ["counter", "set", "c", "4"], ["event", "set", "e"]] {
            #expect(try dq(arguments + ["--db", path]).status == 0)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        // The next dq its owner runs gives the -wal and -shm the store file's mode.
        #expect(try dq(["counter", "add", "c", "--db", path]).stdoutText == "5\n")
        #expect(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.posixPermissions] as? Int == 0o644)
        return path
    }

    /// Every file under `path` with its size and modification time.
    func listing(_ path: String) throws -> [String] {
        let manager = FileManager.default
        return try (manager.subpathsOfDirectory(atPath: path)).sorted().map { name in
            let attributes = try manager.attributesOfItem(atPath: path + "/" + name)
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(name) \(attributes[.size] ?? 0) \(modified)"
        }
    }

    /// Runs every reader as nobody and checks its output, and that no file changed.
    func expectReadersWork(on path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try listing(directory.path)
        for parser in Self.parsers {
            for (arguments, stdout, status) in Self.readers {
                let result = try dqAsNobody(arguments + ["--db", path], environment: environment(parser, arguments))
                #expect(result.status == status, "\(arguments): \(result.stderrText)", sourceLocation: sourceLocation)
                #expect(result.stderr.isEmpty, "\(arguments): \(result.stderrText)", sourceLocation: sourceLocation)
                if let stdout { #expect(result.stdoutText == stdout, "\(arguments)", sourceLocation: sourceLocation) }
            }
        }
        let stats = try dqAsNobody(["stats", "--json", "--db", path]).stdoutText
        #expect(stats.contains(#""counters":{"c":5}"#) && stats.contains(#""name":"jobs","ready":1"#), "\(stats)",
                sourceLocation: sourceLocation)
        let doctor = try dqAsNobody(["doctor", "--db", path]).stdoutText
        #expect(doctor.contains("integrity: ok") && !doctor.contains("PROBLEM"), "\(doctor)", sourceLocation: sourceLocation)
        #expect(try listing(directory.path) == before, "a reader created or changed a file", sourceLocation: sourceLocation)
    }

    @Test("a user who may only read the store runs every read-only command, and changes no file",
          .enabled(if: canRunAsNobody, "needs root and /usr/sbin/runuser to run dq as nobody"))
    func readerOnly() throws {
        try expectReadersWork(on: try rootStore())
    }

    @Test("a store no process has open (no -wal) is read as it is, creating nothing, even in a folder anyone may write",
          .enabled(if: canRunAsNobody, "needs root and /usr/sbin/runuser to run dq as nobody"))
    func readerOnlyWithoutLog() throws {
        let path = try rootStore()
        // The last connection to close after a full checkpoint deletes the -wal and -shm.
        do {
            let connection = try Connection(path: path, create: false)
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.checkpointsOnClose(true)
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: StoreLocation.directory(of: path))
        try expectReadersWork(on: path)
    }

    @Test("a reader who may only read sees what a writer that has the store open commits",
          .enabled(if: canRunAsNobody, "needs root and /usr/sbin/runuser to run dq as nobody"))
    func readerBesideWriter() throws {
        let path = try rootStore()
        let writer = try Store(path: path)
        try writer.queue("jobs").put("more")
        #expect(try dqAsNobody(["len", "jobs", "--db", path]).stdoutText == "2\n")
        try writer.counter("c").add(10)
        #expect(try dqAsNobody(["counter", "get", "c", "--db", path]).stdoutText == "15\n")
    }

    @Test("a write by a user who may only read fails with one line, exit 73, and changes nothing",
          .enabled(if: canRunAsNobody, "needs root and /usr/sbin/runuser to run dq as nobody"))
    func writerRefused() throws {
        let path = try rootStore()
        let before = try listing(directory.path)
        for parser in Self.parsers {
            for arguments in Self.writers {
                let result = try dqAsNobody(arguments + ["--db", path], environment: ["DQ_QUICK_PATH": parser == "off" ? "off" : "on"])
                expectFailure(result, status: 73, "cannot write \(path)")
            }
        }
        #expect(try listing(directory.path) == before)
        let stats = try dq(["stats", "--json", "--db", path]).stdoutText
        #expect(stats.contains(#""counters":{"c":5}"#) && stats.contains(#""dicts":{"d":1}"#)
                && stats.contains(#""lists":{"l":2}"#) && stats.contains(#""name":"jobs","ready":1"#), "\(stats)")
        #expect(try dq(["event", "is-set", "e", "--db", path]).status == 0)
    }
}
