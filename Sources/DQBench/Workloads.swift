import DQSystem
import DurableQueue
import DurableQueuePostgres
import FoundationEssentials

/// What `dq bench` runs: which workloads, how large, how durable, where.
public struct BenchConfiguration: Sendable {
    public var workloads: [Workload]
    public var durability: Durability
    /// Small sizes that finish in seconds (CI runs them so the benchmark never rots).
    public var quick: Bool
    /// Messages left waiting behind the ones W3 removes (the receive path must not
    /// slow down as the backlog grows).
    public var backlog: Int
    /// Where the stores are made; a fresh temporary directory inside it is removed
    /// afterwards.
    public var directory: String
    /// The `dq` binary to start as child processes.
    public var executable: String
    /// Whether dq's writers take turns on a flock (`StoreOptions.writerLock`) rather
    /// than in SQLite's busy handler (the default), to measure the difference.
    public var writerLock: Bool
    /// A PostgreSQL server's address (`postgres://…`) to run on instead of SQLite files in
    /// `directory`: each run gets a database of its own there, and the floors are raw SQL.
    public var server: String?
    /// S2's consumer groups, each with one subscriber.
    public var groups: Int

    public init(workloads: [Workload], durability: Durability, quick: Bool, backlog: Int, directory: String,
                executable: String, writerLock: Bool = false, server: String? = nil, groups: Int = 4) {
        self.workloads = workloads
        self.durability = durability
        self.quick = quick
        self.backlog = backlog
        self.directory = directory
        self.executable = executable
        self.writerLock = writerLock
        self.server = server
        self.groups = groups
    }
}

/// The standard workloads of SPEC "Standard workloads".
public enum Workload: String, CaseIterable, Sendable {
    case w1 = "W1", w2 = "W2", w3 = "W3", w3l = "W3L", w4 = "W4", w5 = "W5", w6 = "W6", w7 = "W7", w8 = "W8"
    /// SPEC "More standard workloads": `call` round trips through a responder, beside W5.
    case w5c = "W5C"
    /// Beyond SPEC's list: 4 producer processes putting at once, per-put latency.
    case c4 = "C4"
    /// Beyond SPEC's list: 4 producer processes, a queue each, against 4 raw inserters.
    case p4 = "P4"
    /// Beyond SPEC's list: how soon a blocked `kv wait` sees another process's set.
    case k1 = "K1"
    /// Beyond SPEC's list: how soon a blocked `event wait` sees another process's set.
    case e1 = "E1"
    /// SPEC "More standard workloads": W1 and W8 on a store holding 100,000 other
    /// queues, against the same on a store with one queue.
    case q1 = "Q1"
    /// SPEC "More standard workloads": publish as W1, against W1's floor.
    case s1 = "S1"
    /// SPEC "More standard workloads": fan-out latency, 1 publisher at 2,000/s, 4 groups, against W6.
    case s2 = "S2"
    /// Beyond SPEC's list (issue "dq web"): an idle `dq web`'s CPU, against W7's.
    case d1 = "D1"

    /// The workloads `--workload all` runs: SPEC's W1–W8, W3L, W5C, Q1, S1, S2, and D1.
    public static let standard: [Workload] = [.w1, .w2, .w3, .w3l, .w4, .w5, .w5c, .w6, .w7, .w8, .q1, .s1, .s2, .d1]

    public var title: String {
        switch self {
        case .w1: "put, 1 per transaction"
        case .w2: "put, 1,000 per transaction"
        case .w3: "get, 1 per transaction"
        case .w3l: "lease + ack, ack rides the next lease"
        case .w4: "pipeline 2 producers + 2 consumers"
        case .w5: "ping-pong round trip"
        case .w5c: "call round trip, against W5's"
        case .w6: "latency at 2,000 msg/s"
        case .w7: "idle consumer, CPU for the wait"
        case .w8: "command line, per invocation"
        case .c4: "4 producers, latency of each put"
        case .p4: "4 producers, a queue each"
        case .k1: "kv wait wake-up after a set"
        case .e1: "event wait wake-up after a set"
        case .q1: "W1 and W8 among 100,000 other queues"
        case .s1: "publish, 1 per transaction, against W1's floor"
        case .s2: "fan-out latency at 2,000/s, 4 groups, against W6"
        case .d1: "dq web idle, no page open, CPU used, against W7"
        }
    }
}

/// Message counts and durations for a full or quick run.
struct Sizes {
    let put, batchTotal, batch, get, pipeline, roundTrips: Int
    let latencySeconds, idleSeconds: Double
    let latencyRate: Double
    let invocations: Int
    let contendedPuts: Int
    /// Q1's other queues.
    let otherQueues: Int
    /// Floor and dq runs, alternated, for W1–W3.
    let rounds: Int

    static let full = Sizes(put: 20_000, batchTotal: 200_000, batch: 1_000, get: 20_000, pipeline: 20_000,
                            roundTrips: 5_000, latencySeconds: 5, idleSeconds: 10, latencyRate: 2_000, invocations: 500,
                            contendedPuts: 5_000, otherQueues: 100_000, rounds: 3)
    static let quick = Sizes(put: 1_000, batchTotal: 10_000, batch: 1_000, get: 1_000, pipeline: 1_000,
                             roundTrips: 200, latencySeconds: 0.5, idleSeconds: 1, latencyRate: 2_000, invocations: 20,
                             contendedPuts: 500, otherQueues: 2_000, rounds: 1)
}

/// Runs the workloads of a configuration and returns their results, floors included.
public struct BenchRunner {
    let configuration: BenchConfiguration
    let sizes: Sizes
    let stores: any BenchStores
    let sync: String
    /// Called before each step with a short description, for a progress line.
    let progress: (String) -> Void

    public init(_ configuration: BenchConfiguration, progress: @escaping (String) -> Void) throws {
        self.configuration = configuration
        self.sizes = configuration.quick ? .quick : .full
        self.sync = configuration.durability.rawValue
        self.progress = progress
        if let server = configuration.server {
            stores = try PostgresBenchStores(address: server)
        } else {
            stores = try SQLiteBenchStores(directory: configuration.directory)
        }
    }

    /// Where the stores are made: the directory and its filesystem type, or the server.
    public var location: String { stores.description }

    /// How commits are made durable, in the engine's words.
    public var durability: String { stores.durability(sync) }

    /// Whether the stores are PostgreSQL databases rather than SQLite files.
    var onPostgres: Bool { configuration.server != nil }

    /// Runs every configured workload in order, calling `emit` with each result as
    /// soon as it is known, and `note` for a workload that cannot run on this engine.
    public func run(emit: (BenchResult) -> Void, note: (String) -> Void = { _ in }) throws {
        defer { stores.removeAll() }
        for workload in Workload.allCases where configuration.workloads.contains(workload) {
            if onPostgres, let reason = Self.notOnPostgres[workload] {
                note("\(workload.rawValue) skipped on PostgreSQL: \(reason)")
                continue
            }
            progress("\(workload.rawValue) \(workload.title)")
            for result in try run(workload) { emit(result) }
        }
    }

    /// The workloads that do not run on PostgreSQL, and why.
    static let notOnPostgres: [Workload: String] = [
        .q1: "its crowded store is a copied SQLite file",
    ]

    private func run(_ workload: Workload) throws -> [BenchResult] {
        switch workload {
        case .w1: return try rateWithFloor(.w1, count: sizes.put, batch: 1)
        case .w2: return try rateWithFloor(.w2, count: sizes.batchTotal, batch: sizes.batch)
        case .w3: return try getRate()
        case .w3l: return [try leaseAckRate()]
        case .w4: return [try pipeline()]
        case .w5: return try pingPong()
        case .w5c: return try callRoundTrips()
        case .w6: return [try latencyUnderLoad()]
        case .w7: return try idle()
        case .w8: return try commandLine()
        case .c4: return [try contendedPuts()]
        case .p4: return try parallelPuts()
        case .k1: return [try kvWake()]
        case .e1: return [try eventWake()]
        case .q1: return try manyQueues()
        case .s1: return try publishRate()
        case .s2: return try fanOutLatency()
        case .d1: return try webIdle()
        }
    }

    // MARK: Helpers

    /// A new, empty store for the run `name`: a SQLite file or a PostgreSQL database.
    func freshStore(_ name: String) throws -> String {
        try stores.fresh(name)
    }

    func spec(_ kind: RoleSpec.Kind, _ db: String, count: Int = 0, batch: Int = 1, rate: Double? = nil, seconds: Double? = nil,
              queue: String = "bench") -> RoleSpec {
        RoleSpec(kind: kind, db: db, sync: sync, count: count, batch: batch, rate: rate, seconds: seconds, queue: queue,
                 writerLock: configuration.writerLock)
    }

    func roles(_ specs: [RoleSpec]) throws -> [RoleReport] {
        try RoleProcess.run(specs, executable: configuration.executable)
    }

    /// Messages per second over the span from the first start to the last end.
    func rate(_ reports: [RoleReport], count: Int) -> Double {
        let start = reports.map(\.start).min() ?? 0
        let end = reports.map(\.end).max() ?? 0
        return end > start ? Double(count) / (Double(end - start) / 1e9) : 0
    }

    func result(_ workload: String, _ title: String, value: Double, unit: String, n: Int,
                        latency: LatencySummary? = nil, floor: Double? = nil) -> BenchResult {
        BenchResult(workload: workload, title: title, value: value, unit: unit,
                    p50: latency?.p50, p99: latency?.p99, p999: latency?.p999,
                    floor: floor, ratio: floor.map { $0 > 0 ? value / $0 : 0 }, sync: sync, n: n)
    }

    // MARK: Workloads

    /// W1 / W2 and their raw-SQLite floors: one process putting `count` messages.
    private func rateWithFloor(_ workload: Workload, count: Int, batch: Int) throws -> [BenchResult] {
        let (floor, value) = try alternating(workload) {
            let floorDB = try freshStore("floor-\(workload.rawValue)")
            return rate(try roles([spec(.floorPut, floorDB, count: count, batch: batch)]), count: count)
        } dq: {
            let db = try freshStore(workload.rawValue)
            return rate(try roles([spec(.put, db, count: count, batch: batch)]), count: count)
        }
        return [result("floor-\(workload.rawValue)", "raw \(floorEngine) inserts", value: floor, unit: "msg/s", n: count),
                result(workload.rawValue, workload.title, value: value, unit: "msg/s", n: count, floor: floor)]
    }

    /// Runs the floor and dq alternately, `rounds` times each, and returns the median
    /// of each: this machine's speed drifts by ±10% within seconds, and alternating
    /// keeps that drift out of the ratio.
    func alternating(_ workload: Workload, floor: () throws -> Double, dq: () throws -> Double) throws -> (floor: Double, dq: Double) {
        var floors: [Double] = []
        var values: [Double] = []
        for round in 1...sizes.rounds {
            progress("floor-\(workload.rawValue) (round \(round) of \(sizes.rounds))")
            floors.append(try floor())
            progress("\(workload.rawValue) \(workload.title) (round \(round) of \(sizes.rounds))")
            values.append(try dq())
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (median(floors), median(values))
    }

    /// W3: remove `get` messages one per transaction from a filled queue (with
    /// `backlog` more waiting behind them), against the raw `DELETE … RETURNING` floor.
    private func getRate() throws -> [BenchResult] {
        let count = sizes.get
        let total = count + configuration.backlog
        let (floor, value) = try alternating(.w3) {
            let floorDB = try freshStore("floor-W3")
            do {
                let raw = try FloorQueues.open(floorDB, sync: sync)
                var random = RandomBodies()
                var left = total
                while left > 0 {
                    let size = min(10_000, left)
                    try raw.put((0..<size).map { _ in random.take() })
                    left -= size
                }
            }
            return rate(try roles([spec(.floorGet, floorDB, count: count)]), count: count)
        } dq: {
            let db = try freshStore("W3")
            try fill(db, count: total)
            return rate(try roles([spec(.get, db, count: count)]), count: count)
        }
        let backlog = configuration.backlog > 0 ? ", \(configuration.backlog) more waiting" : ""
        return [result("floor-W3", "raw \(floorEngine) deletes" + backlog, value: floor, unit: "msg/s", n: count),
                result("W3", Workload.w3.title + backlog, value: value, unit: "msg/s", n: count, floor: floor)]
    }

    /// Puts `count` random 100-byte messages on queue "bench" of a new store, in batches.
    private func fill(_ db: String, count: Int) throws {
        let queue = try Store.open(db, options: StoreOptions(durability: configuration.durability)).queue("bench")
        var random = RandomBodies()
        var left = count
        while left > 0 {
            let size = min(10_000, left)
            try queue.put(contentsOf: (0..<size).map { _ in OutgoingMessage(Data(random.take())) })
            left -= size
        }
    }

    /// W3L: like W3, but each message is leased and then acked (two transactions).
    private func leaseAckRate() throws -> BenchResult {
        let count = sizes.get
        let db = try freshStore("W3L")
        try fill(db, count: count)
        let value = rate(try roles([spec(.leaseAck, db, count: count)]), count: count)
        return result("W3L", Workload.w3l.title, value: value, unit: "msg/s", n: count)
    }

    /// W4: 2 producers and 2 blocking consumers moving `pipeline` messages.
    private func pipeline() throws -> BenchResult {
        let db = try freshStore("W4")
        let half = sizes.pipeline / 2
        let reports = try roles([spec(.produce, db, count: half), spec(.produce, db, count: sizes.pipeline - half),
                                 spec(.consume, db), spec(.consume, db)])
        let received = reports[2].count + reports[3].count
        guard received == sizes.pipeline else {
            throw BenchError(description: "W4: consumers received \(received) of \(sizes.pipeline) messages")
        }
        return result("W4", Workload.w4.title, value: rate(reports, count: received), unit: "msg/s", n: received)
    }

    /// The engine the floors are written for, as the table names it.
    var floorEngine: String { onPostgres ? "PostgreSQL" : "SQLite" }

    /// W5: request/reply round trips through two dq queues, against two FIFOs (on
    /// PostgreSQL: against a raw LISTEN/NOTIFY ping-pong).
    private func pingPong() throws -> [BenchResult] {
        let count = sizes.roundTrips
        if onPostgres { return try postgresPingPong() }
        progress("floor-W5 pipe ping-pong")
        let floorDB = try freshStore("floor-W5")
        let fifos = RoleRunner.fifoPaths(spec(.pipePing, floorDB))
        do throws(Errno) {
            try FileSystem.makeFIFO(fifos.request, permissions: 0o600)
            try FileSystem.makeFIFO(fifos.reply, permissions: 0o600)
        } catch {
            throw BenchError(description: "cannot make FIFOs beside \(floorDB): \(error.description)")
        }
        let floor = LatencySummary(microseconds: try roles([spec(.pipePing, floorDB, count: count), spec(.pipePong, floorDB, count: count)])[0].samples)
        progress("floor-W5-sqlite raw SQLite + inotify ping-pong")
        let sqliteDB = try freshStore("floor-W5-sqlite")
        // Both tables exist before the two processes open the file.
        for table in ["request", "reply"] {
            _ = RawSQLiteQueue(path: sqliteDB, synchronous: RoleRunner.synchronous(spec(.floorPing, sqliteDB)), table: table)
        }
        let sqliteFloor = LatencySummary(microseconds: try roles([spec(.floorPing, sqliteDB, count: count), spec(.floorPong, sqliteDB, count: count)])[0].samples)
        let latency = try dqPingPong()
        return [result("floor-W5", "pipe round trip", value: floor.p50, unit: "us", n: count, latency: floor),
                result("floor-W5-sqlite", "raw SQLite + inotify round trip", value: sqliteFloor.p50, unit: "us", n: count, latency: sqliteFloor),
                result("W5", Workload.w5.title, value: latency.p50, unit: "us", n: count, latency: latency, floor: floor.p50)]
    }

    /// W5's dq part: the round trips of a ping and a pong process.
    func dqPingPong() throws -> LatencySummary {
        progress("W5 \(Workload.w5.title)")
        let db = try freshStore("W5")
        let count = sizes.roundTrips
        return LatencySummary(microseconds: try roles([spec(.ping, db, count: count), spec(.pong, db, count: count)])[0].samples)
    }

    /// W5C: `call` round trips through a responder (the request's lease and the reply's
    /// put commit together on the responder's side), against W5's dq ping-pong in the
    /// same run.
    private func callRoundTrips() throws -> [BenchResult] {
        let pingPong = try dqPingPong()
        progress("W5C \(Workload.w5c.title)")
        let db = try freshStore("W5C")
        let count = sizes.roundTrips
        let latency = LatencySummary(microseconds: try roles([spec(.caller, db, count: count),
                                                              spec(.responder, db, count: count)])[0].samples)
        // Its floor is W5 measured here: the same round trip through two plain queues.
        return [result("W5C", Workload.w5c.title, value: latency.p50, unit: "us", n: count, latency: latency, floor: pingPong.p50)]
    }

    /// W6: 2 producers paced to a fixed total rate, 2 blocked consumers; end-to-end latency.
    private func latencyUnderLoad() throws -> BenchResult {
        let samples = try latencySamples(as: "W6")
        let latency = LatencySummary(microseconds: samples)
        return result("W6", Workload.w6.title, value: latency.p50, unit: "us", n: samples.count, latency: latency)
    }

    /// One W6 run on a fresh store named `name`: every message's end-to-end latency (µs).
    private func latencySamples(as name: String) throws -> [UInt64] {
        let db = try freshStore(name)
        let perProducer = Int(sizes.latencyRate * sizes.latencySeconds / 2)
        let reports = try roles([spec(.produce, db, count: perProducer, rate: sizes.latencyRate / 2),
                                 spec(.produce, db, count: perProducer, rate: sizes.latencyRate / 2),
                                 spec(.consume, db), spec(.consume, db)])
        let samples = reports[2].samples + reports[3].samples
        guard samples.count == 2 * perProducer else {
            throw BenchError(description: "\(name): consumers received \(samples.count) of \(2 * perProducer) messages")
        }
        return samples
    }

    /// S1: one process publishing `put` entries one per transaction, against W1's floor
    /// (raw inserts), alternated as W1 is.
    private func publishRate() throws -> [BenchResult] {
        let count = sizes.put
        let (floor, value) = try alternating(.s1) {
            let floorDB = try freshStore("floor-S1")
            return rate(try roles([spec(.floorPut, floorDB, count: count, batch: 1)]), count: count)
        } dq: {
            let db = try freshStore("S1")
            return rate(try roles([spec(.publish, db, count: count)]), count: count)
        }
        return [result("floor-S1", "raw \(floorEngine) inserts (W1's floor)", value: floor, unit: "msg/s", n: count),
                result("S1", Workload.s1.title, value: value, unit: "msg/s", n: count, floor: floor)]
    }

    /// S2: 1 publisher at W6's total rate for W6's span, 4 groups (`groups`) with one
    /// blocked subscriber each; end-to-end latency over every delivery and per group, against
    /// W6's p50. W6, S2 and (on SQLite) floor-S2 run in turn, `rounds` times, and each one's
    /// percentiles are taken over the samples of all its rounds: this machine's speed drifts
    /// within minutes, and a single W6 next to a single S2 measured 57 µs in one run and
    /// 137 µs in the next.
    private func fanOutLatency() throws -> [BenchResult] {
        let count = Int(sizes.latencyRate * sizes.latencySeconds)
        let groups = (1...max(configuration.groups, 1)).map { "g\($0)" }
        var w6: [UInt64] = []
        var floorSamples: [UInt64] = []
        var perGroup = [[UInt64]](repeating: [], count: groups.count)
        for round in 1...sizes.rounds {
            let of = sizes.rounds == 1 ? "" : " (round \(round) of \(sizes.rounds))"
            progress("S2-W6 \(Workload.w6.title) (S2's floor)\(of)")
            w6 += try latencySamples(as: "S2-W6")
            progress("S2 \(Workload.s2.title)\(of)")
            let db = try freshStore("S2")
            let reports = try roles([spec(.publish, db, count: count, rate: sizes.latencyRate)]
                                    + groups.map { spec(.subscribe, db, queue: $0) })
            for (index, report) in reports.dropFirst().enumerated() {
                guard report.samples.count == count else {
                    throw BenchError(description: "S2: group \(groups[index]) received \(report.samples.count) of \(count) entries")
                }
                perGroup[index] += report.samples
            }
            if !onPostgres {
                progress("floor-S2 raw SQLite fan-out to \(groups.count) reader\(groups.count == 1 ? "" : "s")\(of)")
                let floorDB = try freshStore("floor-S2")
                let floorReports = try roles([spec(.floorPublish, floorDB, count: count, rate: sizes.latencyRate)]
                                             + groups.map { spec(.floorSubscribe, floorDB, queue: $0) })
                let samples = floorReports.dropFirst().flatMap(\.samples)
                guard samples.count == count * groups.count else {
                    throw BenchError(description: "floor-S2: the readers saw \(samples.count) of \(count * groups.count) rows")
                }
                floorSamples += samples
            }
        }
        let w6Latency = LatencySummary(microseconds: w6)
        var results = [result("S2-W6", "W6 in this run (S2's floor)", value: w6Latency.p50, unit: "us", n: w6.count,
                              latency: w6Latency)]
        if !onPostgres {
            let latency = LatencySummary(microseconds: floorSamples)
            results.append(result("floor-S2", "raw SQLite fan-out, \(groups.count) reader\(groups.count == 1 ? "" : "s"), no write, against W6",
                                  value: latency.p50, unit: "us", n: floorSamples.count, latency: latency, floor: w6Latency.p50))
        }
        for (group, samples) in zip(groups, perGroup) {
            let latency = LatencySummary(microseconds: samples)
            results.append(result("S2-\(group)", "group \(group)", value: latency.p50, unit: "us", n: samples.count, latency: latency))
        }
        let all = perGroup.flatMap { $0 }
        let latency = LatencySummary(microseconds: all)
        results.append(result("S2", "fan-out latency at 2,000/s, \(groups.count) group\(groups.count == 1 ? "" : "s"), against W6",
                              value: latency.p50, unit: "us", n: all.count, latency: latency, floor: w6Latency.p50))
        return results
    }

    /// W7: CPU time of a consumer blocked on an empty queue; on PostgreSQL also its floor,
    /// a raw LISTEN with a look once a second (`postgresFloorIdle`), alternated with it
    /// `rounds` times (medians) as W1 is: a 10 s span's CPU time varies by a fifth between
    /// runs here.
    private func idle() throws -> [BenchResult] {
        guard onPostgres else { return [try idleConsumer()] }
        let (floor, value) = try alternating(.w7) {
            let floorDB = try freshStore("floor-W7")
            let report = try roles([spec(.floorIdle, floorDB, seconds: sizes.idleSeconds)])[0]
            return Double(report.cpuMicroseconds ?? 0) / 1_000
        } dq: {
            try idleConsumer().value
        }
        return [result("floor-W7", "raw PostgreSQL LISTEN, a look once a second, CPU used", value: floor, unit: "ms", n: sizes.rounds),
                result("W7", idleTitle, value: value, unit: "ms", n: sizes.rounds, floor: floor)]
    }

    /// W7's title.
    private var idleTitle: String { "idle consumer \(BenchResult.number(sizes.idleSeconds))s, CPU used" }

    /// W7's consumer blocked on an empty queue for the idle span: the CPU it used (ms).
    func idleConsumer(as name: String = "W7", title: String? = nil, floor: Double? = nil) throws -> BenchResult {
        let db = try freshStore(name)
        let report = try roles([spec(.idle, db, seconds: sizes.idleSeconds)])[0]
        return result(name, title ?? idleTitle,
                      value: Double(report.cpuMicroseconds ?? 0) / 1_000, unit: "ms", n: 1, floor: floor)
    }

    /// C4: 4 producers putting one message per transaction at once; latency of each put.
    private func contendedPuts() throws -> BenchResult {
        let db = try freshStore("C4")
        let reports = try roles((0..<4).map { _ in spec(.timedPut, db, count: sizes.contendedPuts) })
        let latency = LatencySummary(microseconds: reports.flatMap(\.samples))
        let lock = configuration.writerLock ? ", flock writer lock" : ""
        return result("C4", Workload.c4.title + lock, value: latency.p50, unit: "us", n: latency.count, latency: latency)
    }

    /// P4: 4 producers putting one message per transaction at once, each on a queue of
    /// its own, against 4 processes inserting raw rows (into one table): puts on different
    /// queues need not take turns.
    private func parallelPuts() throws -> [BenchResult] {
        let each = sizes.contendedPuts
        let (floor, value) = try alternating(.p4) {
            let floorDB = try freshStore("floor-P4")
            return rate(try roles((0..<4).map { _ in spec(.floorPut, floorDB, count: each) }), count: 4 * each)
        } dq: {
            let db = try freshStore("P4")
            return rate(try roles((0..<4).map { spec(.put, db, count: each, queue: "bench-\($0)") }), count: 4 * each)
        }
        return [result("floor-P4", "raw \(floorEngine) inserts, 4 processes", value: floor, unit: "msg/s", n: 4 * each),
                result("P4", Workload.p4.title, value: value, unit: "msg/s", n: 4 * each, floor: floor)]
    }

    /// K1: a process sets a dict key 200 times a second; another waits for each change.
    private func kvWake() throws -> BenchResult {
        let db = try freshStore("K1")
        let sets = configuration.quick ? 100 : 1_000
        let reports = try roles([spec(.kvWaiter, db), spec(.kvSetter, db, count: sets, rate: 200)])
        let latency = LatencySummary(microseconds: reports[0].samples)
        return result("K1", Workload.k1.title, value: latency.p50, unit: "us", n: latency.count, latency: latency)
    }

    /// E1: a process sets an event; another waits for it, clears it and says so; 1,000 rounds.
    private func eventWake() throws -> BenchResult {
        let db = try freshStore("E1")
        let rounds = configuration.quick ? 100 : 1_000
        let reports = try roles([spec(.eventWaiter, db, count: rounds), spec(.eventSetter, db, count: rounds)])
        let latency = LatencySummary(microseconds: reports[0].samples)
        return result("E1", Workload.e1.title, value: latency.p50, unit: "us", n: latency.count, latency: latency)
    }

    /// W8: `dq put` and `dq get` as separate invocations, as a shell script runs them,
    /// and its floors: the same inserts and deletes by the `sqlite3` shell, one process
    /// each, on a dq store of the same shape (`SQLiteShellFloor`), as `sqlite3` closes by
    /// default (`floor-W8`, the ratio's floor) and closing as dq does
    /// (`floor-W8-kept`). Each dq invocation runs right after the `sqlite3` ones it
    /// is compared with, so the machine's drift touches all alike. Without a `sqlite3`
    /// on `PATH` there are no floors.
    func commandLine() throws -> [BenchResult] {
        let db = try freshStore("W8")
        let dq = configuration.executable
        func options(_ db: String) -> [String] { ["--db", db, "--sync", sync] }
        // Creates the store (commands that only read create none), leaving the queue empty.
        _ = try CommandTimer.time([dq, "purge", "bench"] + options(db))
        let shells = onPostgres ? [] : try [false, true].compactMap { keepingLog -> SQLiteShellFloor? in
            // The floor's store is a dq store whose queue already has a lane (one message).
            let floorDB = try freshStore(keepingLog ? "floor-W8-kept" : "floor-W8")
            _ = try CommandTimer.time([dq, "put", "bench", "x"] + options(floorDB))
            return try SQLiteShellFloor(db: floorDB, queue: "bench", synchronous: RoleRunner.synchronous(spec(.put, floorDB)),
                                        keepingLog: keepingLog)
        }
        var random = RandomBodies()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var samples: [UInt64] = [], floorSamples: [[UInt64]] = shells.map { _ in [] }
        for _ in 0..<sizes.invocations {
            let body = random.take().map { alphabet[Int($0) % alphabet.count] }
            for (index, shell) in shells.enumerated() {
                let now = BenchClock.wallMicroseconds()
                floorSamples[index].append(try CommandTimer.time(shell.insert(body: body, enqueuedAt: now)))
            }
            samples.append(try CommandTimer.time([dq, "put", "bench", String(decoding: body, as: UTF8.self)] + options(db)))
        }
        for _ in 0..<sizes.invocations {
            for (index, shell) in shells.enumerated() { floorSamples[index].append(try CommandTimer.time(shell.deleteOldest())) }
            samples.append(try CommandTimer.time([dq, "get", "bench", "--no-wait"] + options(db)))
        }
        let count = "(\(sizes.invocations) put + \(sizes.invocations) get)"
        guard floorSamples.count == 2 else {
            let why = onPostgres ? "no floor on PostgreSQL" : "no sqlite3 for a floor"
            return [perInvocation("W8", "\(Workload.w8.title) \(count), \(why)", samples, floor: nil)]
        }
        let floor = perInvocation("floor-W8", "sqlite3 shell, per invocation (insert + delete)", floorSamples[0], floor: nil)
        let keptLog = perInvocation("floor-W8-kept", "the same, closing as dq does (log kept)", floorSamples[1], floor: nil)
        return [floor, keptLog, perInvocation("W8", "\(Workload.w8.title) \(count)", samples, floor: floor.value)]
    }

    /// A per-invocation result (ms) from nanosecond samples.
    func perInvocation(_ workload: String, _ title: String, _ samples: [UInt64], floor: Double?) -> BenchResult {
        let summary = LatencySummary(microseconds: samples)
        let mean = Double(samples.reduce(0, +)) / Double(max(samples.count, 1)) / 1_000
        var result = result(workload, title, value: mean, unit: "ms", n: samples.count, floor: floor)
        result.p50 = summary.p50 / 1_000
        result.p99 = summary.p99 / 1_000
        return result
    }
}
