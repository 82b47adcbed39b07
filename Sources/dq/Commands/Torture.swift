import ArgumentParser
import DurableQueue
import FoundationEssentials
@preconcurrency import Glibc

extension DQ {
    struct Torture: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "torture",
            abstract: "Kill producers and workers with SIGKILL at random, then check that nothing was lost.",
            discussion: """
                Runs producer processes (each logs a message only after its put returned) and \
                dq worker processes (each message's command appends the body to a file) on a \
                fresh store in --dir, SIGKILLs one of them every 50-300 ms and starts a new one, \
                for --seconds. Then it stops the producers, lets the workers drain the queue, and \
                prints committed / processed / lost / duplicates and PRAGMA integrity_check. \
                Exits 0 when nothing committed was lost and the store is intact, 1 otherwise. \
                Duplicates are expected: a worker killed after its command ran but before the \
                ack makes the message run again (at-least-once).
                """)

        @Option(name: .long, help: "How long to keep killing.")
        var seconds: Double = 20

        @Option(name: .long, help: "Producer processes.")
        var producers: Int = 2

        @Option(name: .long, help: "Worker processes.")
        var workers: Int = 3

        @Option(name: .long, help: "Messages per second each producer puts (workers start a command per message).")
        var rate: Double = 100

        @Option(name: .long, help: ArgumentHelp("Where to make the store (default: $TMPDIR or /tmp).", valueName: "dir"))
        var dir: String?

        @Option(name: .long, help: ArgumentHelp("normal or full.", valueName: "normal|full"))
        var sync: Durability = .normal

        @Flag(name: .long, help: "Workers' commands do the work in a process of their own child (sh -c 'sh -c …; true').")
        var grandchild = false

        @Flag(name: .long, help: "Print one JSON object instead of text.")
        var json = false

        func validate() throws {
            if seconds <= 0 || seconds > 86_400 { throw ValidationError("--seconds must be between 0 and 86400") }
            if producers < 1 || workers < 1 { throw ValidationError("--producers and --workers must be at least 1") }
            if rate <= 0 { throw ValidationError("--rate must be positive") }
        }

        func run() throws {
            let base = dir ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            var template = Array((base + "/dq-torture-XXXXXX").utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw DQError(.storeUnavailable, "cannot make a directory in \(base): \(String(cString: strerror(errno)))")
            }
            let root = String(cString: made)
            defer { try? FileManager.default.removeItem(atPath: root) }
            let progress = ProgressLine()
            let report = try TortureRun(root: root, executable: Bench.executablePath(), sync: sync,
                                        producers: producers, workers: workers, seconds: seconds, rate: rate,
                                        grandchild: grandchild,
                                        progress: { progress.show("running \($0) …") }).run()
            progress.clear()
            Output.standardOutput.write(Array((json ? try report.json : report.text).utf8))
            if report.lost > 0 || report.undrained > 0 || !report.intact { throw ExitCode(1) }
        }
    }
}

/// One `dq torture` run: start, kill, restart, drain, check.
struct TortureRun {
    let root: String
    let executable: String
    let sync: Durability
    let producers: Int
    let workers: Int
    let seconds: Double
    let rate: Double
    /// Whether each command appends through a child of its own, which outlives a
    /// worker killed meanwhile.
    let grandchild: Bool
    /// A short description of what is happening now, for a progress line.
    let progress: (String) -> Void

    /// The outcome; `--json` prints every field but `intact`.
    struct Report: Encodable {
        var committed = 0, processed = 0, lost = 0, duplicates = 0, kills = 0, undrained = 0
        var intact = false
        var integrity = ""

        enum CodingKeys: String, CodingKey { case committed, processed, lost, duplicates, kills, undrained, integrity }

        var text: String {
            "committed \(committed) processed \(processed) lost \(lost) duplicates \(duplicates) kills \(kills)"
                + (undrained > 0 ? " undrained \(undrained)" : "") + " integrity \(integrity)\n"
        }

        var json: String {
            get throws { try JSONLine.encode(self) + "\n" }
        }
    }

    var db: String { root + "/store.db" }
    var processedFile: String { root + "/processed" }
    func producerLog(_ index: Int) -> String { root + "/produced-\(index)" }

    func startProducer(_ index: Int) throws -> pid_t {
        try spawn([executable, "torture-producer", db, "p\(index)", producerLog(index), "--sync", sync.rawValue,
                   "--rate", String(rate)])
    }

    func startWorker() throws -> pid_t {
        try spawn([executable, "worker", "torture", "--db", db, "--sync", sync.rawValue, "--lease", "2s",
                   "--backoff", "10ms", "--max-attempts", "1000", "--", "sh", "-c",
                   grandchild ? "sh -c 'cat >> \(processedFile)'; true" : "cat >> \(processedFile)"])
    }

    func run() throws -> Report {
        let store = try Store(path: db, options: StoreOptions(durability: sync))
        var report = Report()
        var producerPIDs = try (0..<producers).map { try startProducer($0) }
        var workerPIDs = try (0..<workers).map { _ in try startWorker() }
        var random = SystemRandomNumberGenerator()
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1_000))
        while ContinuousClock.now < end {
            usleep(UInt32.random(in: 50_000...300_000, using: &random))
            let victim = Int.random(in: 0..<(producers + workers), using: &random)
            if victim < producers {
                kill(producerPIDs[victim], SIGKILL)
                reap(producerPIDs[victim])
                producerPIDs[victim] = try startProducer(victim)
            } else {
                kill(workerPIDs[victim - producers], SIGKILL)
                reap(workerPIDs[victim - producers])
                workerPIDs[victim - producers] = try startWorker()
            }
            report.kills += 1
            let left = max(0, Int((end - ContinuousClock.now).components.seconds))
            progress("killing: \(report.kills) kills, \(left) s to go")
        }
        for pid in producerPIDs { kill(pid, SIGKILL); reap(pid) }
        // Let the workers drain everything, leases of killed workers included.
        let drainEnd = ContinuousClock.now + .seconds(120)
        while true {
            let stats = try store.stats().queues.first { $0.name == "torture" }
            report.undrained = (stats?.ready ?? 0) + (stats?.leased ?? 0) + (stats?.delayed ?? 0)
            if report.undrained == 0 || ContinuousClock.now >= drainEnd { break }
            progress("draining: \(report.undrained) messages left")
            usleep(50_000)
        }
        for pid in workerPIDs { kill(pid, SIGTERM) }
        for pid in workerPIDs { reap(pid) }

        var committed = Set<String>()
        for index in 0..<producers {
            let log = (try? String(contentsOfFile: producerLog(index), encoding: .utf8)) ?? ""
            for line in log.split(separator: "\n") { committed.insert("p\(index)-\(line)") }
        }
        let processedLines = ((try? String(contentsOfFile: processedFile, encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
        let processed = Set(processedLines)
        report.committed = committed.count
        report.processed = processed.count
        report.lost = committed.subtracting(processed).count
        report.duplicates = processedLines.count - processed.count
        report.integrity = try store.integrityCheck()
        report.intact = report.integrity == "ok"
        return report
    }

    private func spawn(_ arguments: [String]) throws -> pid_t {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        let code = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        argv.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        guard code == 0 else { throw DQError(.internalError, "cannot start \(arguments[1]): \(String(cString: strerror(code)))") }
        return pid
    }

    private func reap(_ pid: pid_t) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
