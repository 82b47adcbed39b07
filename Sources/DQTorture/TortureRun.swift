import DQSystem
import DurableQueue
import DurableQueuePostgres
import FoundationEssentials

/// One `dq torture` run: producers and `dq worker`s on a fresh store, one of them
/// SIGKILLed and restarted every 50-300 ms, then the producers stopped, the queue
/// drained, and what was committed compared with what was processed.
///
/// For example:
///
/// ```swift
/// let run = TortureRun(executable: "/usr/local/bin/dq", sync: .normal, producers: 2, workers: 3,
///                      seconds: 20, rate: 100, grandchild: false,
///                      start: { try spawnDiscardingOutput($0) }, progress: { print($0) })
/// let report = try run.run(in: "/tmp")
/// ```
public struct TortureRun {
    /// The dq binary whose `worker` and `torture-producer` commands run.
    let executable: String
    let sync: Durability
    let producers: Int
    let workers: Int
    /// How long to keep killing.
    let seconds: Double
    /// Messages per second each producer puts.
    let rate: Double
    /// Whether each command appends through a child of its own, which outlives a
    /// worker killed meanwhile.
    let grandchild: Bool
    /// The store to torture (its queue `torture`, dropped first); `nil`: a fresh SQLite
    /// file in the run's folder.
    let db: String?
    /// Starts a process (the first argument is the executable's path) with its output
    /// discarded, and returns it.
    let start: ([String]) throws -> ChildProcess
    /// A short description of what is happening now, for a progress line.
    let progress: (String) -> Void

    public init(executable: String, sync: Durability, producers: Int, workers: Int, seconds: Double, rate: Double,
                grandchild: Bool, db: String? = nil, start: @escaping ([String]) throws -> ChildProcess,
                progress: @escaping (String) -> Void) {
        self.db = db
        self.executable = executable
        self.sync = sync
        self.producers = producers
        self.workers = workers
        self.seconds = seconds
        self.rate = rate
        self.grandchild = grandchild
        self.start = start
        self.progress = progress
    }

    /// The outcome; its JSON has every field but `intact`.
    public struct Report: Encodable, Sendable {
        public var committed = 0, processed = 0, lost = 0, duplicates = 0, kills = 0, undrained = 0
        /// Whether `PRAGMA integrity_check` said ok.
        public var intact = false
        /// What `PRAGMA integrity_check` said.
        public var integrity = ""

        enum CodingKeys: String, CodingKey { case committed, processed, lost, duplicates, kills, undrained, integrity }

        /// Nothing committed was lost, the queue drained, and the store is intact.
        public var passed: Bool { lost == 0 && undrained == 0 && intact }

        /// `committed N processed N lost N duplicates N kills N integrity ok` and a newline.
        public var text: String {
            "committed \(committed) processed \(processed) lost \(lost) duplicates \(duplicates) kills \(kills)"
                + (undrained > 0 ? " undrained \(undrained)" : "") + " integrity \(integrity)\n"
        }
    }

    /// Runs in a fresh directory made in `base`, and removes it.
    ///
    /// - Throws: `DQError` of the kind the errno says (`.permissionDenied`, `.diskFull`,
    ///   …), else `.storeUnavailable`, if the directory cannot be made;
    ///   whatever `start` or the store throws.
    public func run(in base: String) throws -> Report {
        let root: String
        do throws(Errno) {
            root = try Directory.makeTemporary(prefix: base + "/dq-torture-")
        } catch {
            throw DQError(error, "cannot make a directory in \(base)")
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        return try run(root: root)
    }

    /// Where a producer's and the workers' files are, in `root`.
    private struct Files {
        let root: String
        let store: String?
        var db: String { store ?? root + "/store.db" }
        var processed: String { root + "/processed" }
        func producerLog(_ index: Int) -> String { root + "/produced-\(index)" }
    }

    private func startProducer(_ index: Int, _ files: Files) throws -> ChildProcess {
        try start([executable, "torture-producer", files.db, "p\(index)", files.producerLog(index), "--sync", sync.rawValue,
                   "--rate", String(rate)])
    }

    private func startWorker(_ files: Files) throws -> ChildProcess {
        try start([executable, "worker", "torture", "--db", files.db, "--sync", sync.rawValue, "--lease", "2s",
                   "--backoff", "10ms", "--max-attempts", "1000", "--", "sh", "-c",
                   grandchild ? "sh -c 'cat >> \(files.processed)'; true" : "cat >> \(files.processed)"])
    }

    private func run(root: String) throws -> Report {
        let files = Files(root: root, store: db)
        let store = try Store.open(files.db, options: StoreOptions(durability: sync))
        _ = try store.queue("torture").drop()
        var report = Report()
        var producerProcesses = try (0..<producers).map { try startProducer($0, files) }
        var workerProcesses = try (0..<workers).map { _ in try startWorker(files) }
        var random = SystemRandomNumberGenerator()
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1_000))
        while ContinuousClock.now < end {
            CurrentProcess.sleep(microseconds: UInt32.random(in: 50_000...300_000, using: &random))
            let victim = Int.random(in: 0..<(producers + workers), using: &random)
            if victim < producers {
                producerProcesses[victim].send(.kill)
                _ = producerProcesses[victim].wait()
                producerProcesses[victim] = try startProducer(victim, files)
            } else {
                workerProcesses[victim - producers].send(.kill)
                _ = workerProcesses[victim - producers].wait()
                workerProcesses[victim - producers] = try startWorker(files)
            }
            report.kills += 1
            let left = max(0, Int((end - ContinuousClock.now).components.seconds))
            progress("killing: \(report.kills) kills, \(left) s to go")
        }
        for producer in producerProcesses { producer.send(.kill); _ = producer.wait() }
        // Let the workers drain everything, leases of killed workers included.
        let drainEnd = ContinuousClock.now + .seconds(120)
        while true {
            let stats = try store.stats().queues.first { $0.name == "torture" }
            report.undrained = (stats?.ready ?? 0) + (stats?.leased ?? 0) + (stats?.delayed ?? 0)
            if report.undrained == 0 || ContinuousClock.now >= drainEnd { break }
            progress("draining: \(report.undrained) messages left")
            CurrentProcess.sleep(microseconds: 50_000)
        }
        for worker in workerProcesses { worker.send(.terminate) }
        for worker in workerProcesses { _ = worker.wait() }

        var committed = Set<String>()
        for index in 0..<producers {
            let log = (try? String(contentsOfFile: files.producerLog(index), encoding: .utf8)) ?? ""
            for line in log.split(separator: "\n") { committed.insert("p\(index)-\(line)") }
        }
        let processedLines = ((try? String(contentsOfFile: files.processed, encoding: .utf8)) ?? "")
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

    /// A producer (`dq torture-producer`): puts `PREFIX-N` for N = 1, 2, … on the queue
    /// `torture` of `db`, `rate` per second, and appends N to `log` after each put
    /// returns, until killed. A restarted producer continues after the last N logged.
    public static func produce(db: String, prefix: String, log: String, sync: Durability, rate: Double) throws(DQError) -> Never {
        let queue = try Store.open(db, options: StoreOptions(durability: sync)).queue("torture")
        let fd: FileDescriptor
        do throws(Errno) {
            fd = try FileDescriptor.open(log, .writeOnly, options: [.create, .append, .closeOnExec], permissions: 0o600)
        } catch {
            throw DQError(error, "cannot open \(log)")
        }
        var next = (try? String(contentsOfFile: log, encoding: .utf8))?
            .split(separator: "\n").compactMap { Int($0) }.max().map { $0 + 1 } ?? 1
        let interval = UInt32(1_000_000 / rate)
        while true {
            CurrentProcess.sleep(microseconds: interval)
            try queue.put("\(prefix)-\(next)\n")
            let line = Array("\(next)\n".utf8)
            _ = line.withUnsafeBytes { try? fd.write($0) }
            next += 1
        }
    }
}
