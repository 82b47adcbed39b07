@testable import DurableQueue
import Foundation
import Testing

/// Faults: full disk, read-only places, damaged or foreign files. Each asserts the one
/// `dq: ` line, the exit status, and that the data is unchanged.
@Suite("Faults")
struct FaultTests {
    let directory = TemporaryDirectory()

    func run(_ arguments: [String]) throws -> ProcessResult {
        try ChildProcess(arguments[0], Array(arguments.dropFirst())).wait()
    }

    /// Mounts a tmpfs of `kilobytes` at a new directory, for the duration of `body`.
    func withTmpfs(kilobytes: Int, _ body: (String) throws -> Void) throws {
        let mountPoint = directory.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount: \(mounted.stderrText)")
        defer { _ = try? run(["/bin/umount", "-l", mountPoint]) }
        try body(mountPoint)
    }

    /// Runs `executable` as the user nobody.
    func asNobody(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
        try ChildProcess("/usr/sbin/runuser", ["-u", "nobody", "--", executable] + arguments, stdin: stdin).wait()
    }

    /// A new folder `name` holding copies of dq and the test helper that nobody may run
    /// (root may write a 0400 file, so faults that need an ordinary user run as nobody).
    /// Nobody owns the folder if `nobodyOwns`; otherwise root does, and nobody may not
    /// write in it.
    func folderForNobody(_ name: String, nobodyOwns: Bool) throws -> String {
        let folder = directory.file(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        #expect(chmod(directory.path, 0o755) == 0 && chmod(folder, 0o755) == 0)
        if nobodyOwns { #expect(chown(folder, 65_534, 65_534) == 0) }
        for executable in [Executables.dq, Executables.helper] {
            let copy = folder + "/" + (executable as NSString).lastPathComponent
            try FileManager.default.copyItem(atPath: executable, toPath: copy)
            #expect(chmod(copy, 0o755) == 0)
        }
        return folder
    }

    func expectOneLine(_ result: ProcessResult, status: Int32, mentioning text: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "\(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1 && result.stderrText.hasPrefix("dq: "), "\(result.stderrText)", sourceLocation: sourceLocation)
        #expect(result.stderrText.contains(text), "\(result.stderrText)", sourceLocation: sourceLocation)
    }

    @Test("disk full: put fails with one clear line (73), earlier messages stay, puts work once space frees",
          .enabled(if: geteuid() == 0, "needs root to mount a small tmpfs"))
    func diskFull() throws {
        try withTmpfs(kilobytes: 1_024) { mount in
            let db = mount + "/store.db"
            #expect(try dq(["put", "q", "first", "second", "--db", db]).status == 0)
            let filler = mount + "/filler"
            #expect(FileManager.default.createFile(atPath: filler, contents: Data(count: 700_000)))
            var failure: ProcessResult?
            for _ in 0..<100 {
                let result = try dq(["put", "q", "--db", db], stdin: Data(count: 20_000))
                if result.status != 0 { failure = result; break }
            }
            let full = try #require(failure, "the disk never filled")
            expectOneLine(full, status: 73, mentioning: "disk full")
            let error = #expect(throws: DQError.self) { try Store(path: db).queue("q").put(Data(count: 200_000)) }
            #expect(error?.kind == .diskFull && error?.isRetryable == true, "\(String(describing: error))")
            #expect(try dq(["peek", "q", "-n", "2", "--db", db]).stdoutText == "first\nsecond\n")
            try FileManager.default.removeItem(atPath: filler)
            #expect(try dq(["put", "q", "after", "--db", db]).status == 0)
            #expect(try dq(["get", "q", "--db", db]).stdoutText == "first\n")
        }
    }

    @Test("disk full before the store or its write-ahead log exists: every command says disk full (73)",
          .enabled(if: geteuid() == 0, "needs root to mount a small tmpfs"))
    func diskFullBeforeTheLog() throws {
        try withTmpfs(kilobytes: 384) { mount in
            let db = mount + "/store.db", fresh = mount + "/fresh.db"
            #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
            try Store(path: db).sqlite.emptyLog()
            for file in [db + "-wal", db + "-shm"] { try FileManager.default.removeItem(atPath: file) }
            _ = try run(["/bin/sh", "-c", "cat /dev/zero > '\(mount)/filler'"])
            for store in [db, fresh] {
                for arguments in [["len", "q"], ["put", "q", "x"], ["peek", "q"], ["kv", "set", "d", "k", "v"]] {
                    // Commands that only read create no store: there is none to fill the disk.
                    let reads = store == fresh && arguments[0] != "put" && arguments[0] != "kv"
                    expectOneLine(try dq(arguments + ["--db", store]), status: 73, mentioning: reads ? "no store at \(fresh)" : "disk full")
                }
            }
        }
    }

    @Test("a device or a FIFO is refused (73) before anything is made beside it")
    func notARegularFile() throws {
        // Root may create files in /dev: a store path there must not.
        let sideFiles = ["-lock", "-journal", "-wal", "-shm", "-wake", "-holders", "-locks"].map { "/dev/null" + $0 }
        for path in sideFiles { _ = try? FileManager.default.removeItem(atPath: path) }
        let device = try dq(["len", "q", "--db", "/dev/null"])
        expectOneLine(device, status: 73, mentioning: "cannot use /dev/null as a store: it is a character device")
        for path in sideFiles { #expect(!FileManager.default.fileExists(atPath: path), "\(path)") }
        let fifo = directory.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        expectOneLine(try dq(["put", "q", "x", "--db", fifo]), status: 73, mentioning: "it is a FIFO, not a regular file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["fifo"])
    }

    @Test("a read-only filesystem: put and get fail with one line (73), data unchanged",
          .enabled(if: geteuid() == 0, "needs root to mount a tmpfs read-only"))
    func readOnlyFilesystem() throws {
        try withTmpfs(kilobytes: 4_096) { mount in
            let db = mount + "/store.db"
            #expect(try dq(["put", "q", "kept", "--db", db]).status == 0)
            let before = FileManager.default.contents(atPath: db)
            #expect(try run(["/bin/mount", "-o", "remount,ro", mount]).status == 0)
            expectOneLine(try dq(["put", "q", "x", "--db", db]), status: 73, mentioning: "Read-only file system")
            expectOneLine(try dq(["get", "q", "--no-wait", "--db", db]), status: 73, mentioning: "Read-only file system")
            let error = #expect(throws: DQError.self) { try Store(path: db).queue("q").put("x") }
            #expect(error?.kind == .permissionDenied && error?.isRetryable == false, "\(String(describing: error))")
            #expect(FileManager.default.contents(atPath: db) == before)
            #expect(try run(["/bin/mount", "-o", "remount,rw", mount]).status == 0)
            #expect(try dq(["get", "q", "--db", db]).stdoutText == "kept\n")
        }
    }

    @Test("a store made read-only and then writable again works again: no read-only -wal or -shm is left, and old ones are repaired",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"), "needs root and runuser"))
    func readOnlyThenWritable() throws {
        let folder = try folderForNobody("nobody", nobodyOwns: true)
        let db = folder + "/store.db"
        func asNobody(_ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
            try self.asNobody(folder + "/dq", arguments + ["--db", db], stdin: stdin)
        }
        #expect(try asNobody(["put", "q", "first"]).status == 0)
        // A message longer than the log dq keeps: the last process to close removes the log.
        #expect(try asNobody(["put", "q"], stdin: Data(count: 300_000)).status == 0)
        #expect(try asNobody(["get", "q"]).stdoutText == "first\n")
        #expect(try asNobody(["get", "q", "--raw"]).stdout.count == 300_000)
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"))
        #expect(chmod(db, 0o400) == 0)
        expectOneLine(try asNobody(["put", "q", "refused"]), status: 73, mentioning: "permission denied")
        for side in ["-wal", "-shm"] { #expect(!FileManager.default.fileExists(atPath: db + side), "\(side) made read-only") }
        #expect(chmod(db, 0o600) == 0)
        // A read-only -shm, as an older dq left behind.
        #expect(FileManager.default.createFile(atPath: db + "-shm", contents: Data(count: 32_768)))
        #expect(chown(db + "-shm", 65_534, 65_534) == 0 && chmod(db + "-shm", 0o400) == 0)
        #expect(try asNobody(["put", "q", "after"]).status == 0)
        #expect(try asNobody(["get", "q"]).stdoutText == "after\n")
    }

    @Test("an immutable store file: one line (73), file unchanged",
          .enabled(if: geteuid() == 0 && FileManager.default.fileExists(atPath: "/usr/bin/chattr"), "needs root and chattr"))
    func readOnlyFile() throws {
        let db = directory.file("store.db")
        #expect(try dq(["put", "q", "kept", "--db", db]).status == 0)
        let before = FileManager.default.contents(atPath: db)
        let immutable = try run(["/usr/bin/chattr", "+i", db])
        try #require(immutable.status == 0, "this filesystem has no immutable flag: \(immutable.stderrText)")
        defer { _ = try? run(["/usr/bin/chattr", "-i", db]) }
        expectOneLine(try dq(["put", "q", "x", "--db", db]), status: 73, mentioning: "cannot")
        let error = #expect(throws: DQError.self) { try Store(path: db).queue("q").put("x") }
        #expect(error?.kind == .permissionDenied, "\(String(describing: error))")
        #expect(FileManager.default.contents(atPath: db) == before)
    }

    @Test("a folder or store file this user may not write: permissionDenied in the library, 73 from dq",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"), "needs root and runuser"))
    func permissionDenied() throws {
        // Root's folder: nobody may create neither the store nor a folder for it there.
        let closed = try folderForNobody("closed", nobodyOwns: false)
        for db in [closed + "/store.db", closed + "/sub/store.db"] {
            let kind = try asNobody(closed + "/dq-test-helper", ["put-error", db, "q"])
            #expect(kind.stdoutText.hasPrefix("permissionDenied false cannot create"), "\(kind.stdoutText)")
            expectOneLine(try asNobody(closed + "/dq", ["put", "q", "x", "--db", db]), status: 73, mentioning: "Permission denied")
        }
        // Nobody's folder, root's store file.
        let open = try folderForNobody("open", nobodyOwns: true)
        let db = open + "/store.db"
        #expect(try dq(["put", "q", "kept", "--db", db]).status == 0)
        let kind = try asNobody(open + "/dq-test-helper", ["put-error", db, "q"])
        #expect(kind.stdoutText.hasPrefix("permissionDenied false cannot write \(db)"), "\(kind.stdoutText)")
        expectOneLine(try asNobody(open + "/dq", ["put", "q", "x", "--db", db]), status: 73, mentioning: "permission denied")
        #expect(try dq(["peek", "q", "-n", "2", "--db", db]).stdoutText == "kept\n")
    }

    @Test("out of file descriptors: resourceExhausted (retryable) in the library, 75 from dq",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit"))
    func outOfDescriptors() throws {
        let db = directory.file("store.db")
        #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
        // From too few descriptors to open the store to enough: each run works or runs out.
        var outcomes: [String] = []
        for limit in 4...12 {
            let limited = ["--nofile=\(limit):\(limit)"]
            let library = try run(["/usr/bin/prlimit"] + limited + [Executables.helper, "put-error", db, "q"])
            if library.stdoutText != "ok\n" {
                #expect(library.stdoutText.hasPrefix("resourceExhausted true "), "\(limit): \(library.stdoutText)")
                outcomes.append("library")
            }
            let command = try run(["/usr/bin/prlimit"] + limited + [Executables.dq, "put", "q", "x", "--db", db])
            if command.status != 0 {
                expectOneLine(command, status: 75, mentioning: "Too many open files")
                outcomes.append("dq")
            }
        }
        #expect(outcomes.contains("library") && outcomes.contains("dq"), "never ran out: \(outcomes)")
    }

    @Test("a truncated store: one line (65), file unchanged")
    func truncated() throws {
        let db = directory.file("store.db")
        _ = try dq(["put", "q", "--lines", "--db", db], stdin: Data((1...3_000).map { "\($0)\n" }.joined().utf8))
        let damaged = directory.file("damaged.db")
        let bytes = try #require(FileManager.default.contents(atPath: db))
        #expect(FileManager.default.createFile(atPath: damaged, contents: bytes.prefix(50)))
        let result = try dq(["len", "q", "--db", damaged])
        #expect(result.status == 65, "\(result.stderrText)")
        #expect(result.stderrLines.count == 1 && result.stderrText.hasPrefix("dq: "))
        #expect(FileManager.default.contents(atPath: damaged) == bytes.prefix(50))
    }
}

@Suite("Sidecar files")
struct SidecarTests {
    let directory = TemporaryDirectory()

    @Test("sidecar files are never followed through symlinks: a planted link is refused and its target untouched")
    func symlinkPlanted() throws {
        let db = directory.file("store.db")
        let victim = directory.file("victim.txt")
        #expect(FileManager.default.createFile(atPath: victim, contents: Data("precious".utf8)))
        try FileManager.default.createSymbolicLink(atPath: db + "-lock", withDestinationPath: victim)
        let result = try dq(["put", "q", "x", "--db", db])
        #expect(result.status == 73, "\(result.stderrText)")
        #expect(result.stderrLines.count == 1 && result.stderrText.hasPrefix("dq: "))
        #expect(FileManager.default.contents(atPath: victim) == Data("precious".utf8))
    }

    @Test("side folders and files another user planted, or open to group and others, are refused (73)",
          .enabled(if: geteuid() == 0, "needs root to plant files owned by nobody"))
    func plantedSideFiles() throws {
        let nobody: uid_t = 65_534
        for (side, isDirectory) in [("-wake", true), ("-holders", true), ("-locks", true), ("-lock", false), ("-wake/waiters", false),
                                          ("-wake/traffic", false), ("-wake/deliveries", false), ("-wake/seats", false), ("-wake/seats-locks", false),
                                          ("-wake/seats-bodies", false)] {
            for foreign in [true, false] {
                let folder = directory.file("\(side.dropFirst())-\(foreign)".replacing("/", with: "-"))
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
                let db = folder + "/store.db"
                #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
                let path = db + side
                try? FileManager.default.removeItem(atPath: path)
                if isDirectory {
                    #expect(mkdir(path, 0o700) == 0)
                } else {
                    #expect(FileManager.default.createFile(atPath: path, contents: Data(count: 32_768)))
                }
                // Planted by another user (however closed), or ours but open to everyone.
                if foreign { #expect(chown(path, nobody, nobody) == 0) } else { #expect(chmod(path, isDirectory ? 0o777 : 0o666) == 0) }
                let result = try dq(["put", "q", "y", "--db", db])
                #expect(result.status == 73, "\(side) foreign=\(foreign): \(result.stderrText)")
                #expect(result.stderrText.hasPrefix("dq: refusing \(path): "), "\(result.stderrText)")
                #expect(result.stderrLines.count == 1)
            }
        }
    }

    @Test("root may keep using another user's store whose side files it made",
          .enabled(if: geteuid() == 0, "needs root"))
    func rootOnSomeonesStore() throws {
        let db = directory.file("theirs.db")
        #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
        #expect(chown(db, 65_534, 65_534) == 0)
        #expect(try dq(["put", "q", "y", "--db", db]).status == 0)
        #expect(try dq(["get", "q", "-n", "2", "--db", db]).stdoutText == "x\ny\n")
    }

    @Test("a symlinked side folder is refused and nothing outside the store's folder is touched")
    func symlinkedSideFolder() throws {
        let folder = directory.file("store"), elsewhere = directory.file("elsewhere")
        for path in [folder, elsewhere] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) }
        let db = folder + "/store.db"
        #expect(try dq(["put", "q", "x", "--db", db]).status == 0)
        try FileManager.default.removeItem(atPath: db + "-wake")
        let waiters = Data(repeating: 7, count: 32_768)
        #expect(FileManager.default.createFile(atPath: elsewhere + "/waiters", contents: waiters))
        try FileManager.default.createSymbolicLink(atPath: db + "-wake", withDestinationPath: elsewhere)
        let result = try dq(["get", "q", "--db", db])
        #expect(result.status == 73 && result.stderrText.contains("refusing \(db)-wake: it is a symbolic link"), "\(result.stderrText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere) == ["waiters"])
        #expect(FileManager.default.contents(atPath: elsewhere + "/waiters") == waiters)
    }

    @Test("truncating or removing PATH-wake files under a waiting reader crashes nothing, and puts still reach it")
    func truncatedWaiters() throws {
        let db = directory.file("store.db")
        let reader = try ChildProcess(Executables.dq, ["get", "q", "--timeout", "3s", "--db", db])
        let waiters = db + "-wake/waiters"
        #expect(eventually { process(reader.pid, hasOpen: waiters) }, "the reader waits")
        #expect(truncate(waiters, 0) == 0)
        let result = reader.wait()
        #expect(result.status == 1, "no SIGBUS (135): \(result.stderrText)")
        #expect(result.stderr.isEmpty)
        // A later reader, its file truncated while it waits, still gets a put's message
        // (at the latest at its once-a-second re-check).
        let next = try ChildProcess(Executables.dq, ["get", "q", "--timeout", "30s", "--db", db])
        #expect(eventually { process(next.pid, hasOpen: waiters) })
        #expect(truncate(waiters, 0) == 0)
        var put = ContinuousClock.now
        #expect(try dq(["put", "q", "hello", "--db", db]).status == 0)
        #expect(next.wait().stdoutText == "hello\n")
        #expect(ContinuousClock.now - put < .seconds(10), "reached by the re-check, not the timeout")
        // The whole folder removed by a clean-up job while a reader waits.
        let last = try ChildProcess(Executables.dq, ["get", "q", "--timeout", "30s", "--db", db])
        #expect(eventually { process(last.pid, hasOpen: waiters) })
        try FileManager.default.removeItem(atPath: db + "-wake")
        put = ContinuousClock.now
        #expect(try dq(["put", "q", "again", "--db", db]).status == 0)
        let result2 = last.wait()
        #expect(result2.status == 0 && result2.stdoutText == "again\n", "\(result2.stderrText)")
        #expect(ContinuousClock.now - put < .seconds(10), "reached by the re-check, not the timeout")
    }

    @Test("every file dq creates is readable and writable by the owner only")
    func modes() throws {
        let db = directory.file("store.db")
        _ = try dq(["put", "q", "x", "--db", db])
        _ = try dq(["kv", "set", "d", "k", "v", "--db", db])
        _ = try dq(["lock", "l", "--db", db, "--", "true"])
        let leased = try ChildProcess(Executables.helper, ["hold", db, "q"])
        #expect(eventually { ((try? Store(path: db).stats().queues.first?.leased) ?? 0) == 1 })
        defer { kill(leased.pid, SIGKILL); _ = leased.wait() }
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        while let name = enumerator?.nextObject() as? String { files.append(name) }
        for name in files {
            var info = stat()
            #expect(lstat(directory.file(name), &info) == 0)
            let mode = info.st_mode & 0o777
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            #expect(mode == (isDirectory ? 0o700 : 0o600), "\(name): \(String(mode, radix: 8))")
        }
        #expect(files.contains("store.db-holders") && files.contains("store.db-locks") && files.contains("store.db-wake"))
    }
}

@Suite("dq doctor")
struct DoctorTests {
    let directory = TemporaryDirectory()

    @Test("a healthy store passes")
    func healthy() throws {
        let db = directory.file("store.db")
        _ = try dq(["put", "q", "x", "--db", db])
        let result = try dq(["doctor", "--json", "--db", db])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(object["status"] as? String == "ok")
        let checks = (object["checks"] as? [[String: Any]] ?? []).compactMap { $0["check"] as? String }
        for check in ["filesystem", "integrity", "schema", "size", "free pages", "leases", "dead letters"] {
            #expect(checks.contains(check), "\(check)")
        }
        // The numbers, for a program, beside each line for a person.
        var values: [String: Int] = [:]
        for check in object["checks"] as? [[String: Any]] ?? [] {
            values.merge(check["values"] as? [String: Int] ?? [:]) { $1 }
        }
        #expect(values["version"] == 6 && values["leased"] == 0 && values["dead"] == 0, "\(values)")
        #expect((values["db_bytes"] ?? 0) > 0 && (values["page_size"] ?? 0) > 0 && values["free_pages"] != nil, "\(values)")
    }

    @Test("a damaged copy is flagged (65), and so is a file that is not a store")
    func damaged() throws {
        let db = directory.file("store.db")
        _ = try dq(["put", "q", "--lines", "--db", db], stdin: Data((1...3_000).map { "\($0)\n" }.joined().utf8))
        // A copy of the file alone holds what has been checkpointed into it: all of it here.
        try Store(path: db).sqlite.emptyLog()
        var bytes = try #require(FileManager.default.contents(atPath: db))
        let page = 8 * 4_096
        try #require(bytes.count > page + 16)
        bytes.replaceSubrange(page..<page + 16, with: Data(repeating: 0xFF, count: 16))
        let copy = directory.file("copy.db")
        #expect(FileManager.default.createFile(atPath: copy, contents: bytes))
        let result = try dq(["doctor", "--db", copy])
        #expect(result.status == 65)
        #expect(result.stdoutText.contains("PROBLEM"))
        #expect(FileManager.default.contents(atPath: copy) == bytes, "doctor changed nothing")
        let foreign = directory.file("notes.txt")
        #expect(FileManager.default.createFile(atPath: foreign, contents: Data("hello".utf8)))
        #expect(try dq(["doctor", "--db", foreign]).status == 65)
        #expect(try dq(["doctor", "--db", directory.file("missing.db")]).status == 73)
        // A store it cannot open exits as any command would, with one dq: line.
        let folder = try dq(["doctor", "--db", directory.path])
        #expect(folder.status == 73)
        #expect(folder.stderrLines.count == 1 && folder.stderrText.hasPrefix("dq: "), "\(folder.stderrText)")
        #expect(try dq(["doctor", "--db", ""]).status == 64)
        #expect(result.stderrLines.count == 1 && result.stderrText.hasPrefix("dq: "), "\(result.stderrText)")
    }

    @Test("network and FUSE filesystems are refused")
    func unsafeFilesystems() {
        for type in ["nfs", "nfs4", "cifs", "smb3", "fuse", "fuse.sshfs", "9p"] { #expect(Doctor.isUnsafe(filesystem: type), "\(type)") }
        for type in ["ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs"] { #expect(!Doctor.isUnsafe(filesystem: type), "\(type)") }
        #expect(StoreLocation.filesystemType(of: "/proc/self") == "proc")
    }

    @Test("a store on a real FUSE mount is refused (73) before anything is made there")
    func fuseMountRefused() throws {
        // bindfs (installed by .ci/run) mirrors a folder through FUSE; mounting needs root.
        let source = directory.file("source"), mount = directory.file("mount")
        for folder in [source, mount] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) }
        let mounted = try ChildProcess("/usr/bin/bindfs", [source, mount]).wait()
        try #require(mounted.status == 0, "bindfs: \(mounted.stderrText)")
        defer { _ = try? ChildProcess("/usr/bin/umount", [mount]).wait() }
        for db in [mount + "/store.db", mount + "/new/folder/store.db"] {
            let result = try dq(["put", "q", "x", "--db", db])
            #expect(result.status == 73)
            #expect(result.stderrText == "dq: \(db) is on fuse: WAL needs a local filesystem, not a network or FUSE one\n")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: source).isEmpty, "nothing was created")
        #expect(StoreLocation.unsafeFilesystem(of: directory.file("local.db")) == nil)
    }
}
