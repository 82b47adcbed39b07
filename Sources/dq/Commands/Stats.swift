import ArgumentParser
import DQSystem
import DurableQueue
import FoundationEssentials

extension DQ {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Show every queue's counts and the store's file sizes.",
            discussion: HelpExamples.discussion("stats", """
                Per queue: ready (deliverable now), delayed, leased, dead, and the age of the \
                oldest ready message; then dicts (keys), lists (values) and counters (values). \
                --json prints one object: \
                {"path":…,"files":{"db":…,"wal":…,"shm":…},"queues":[{"name":…,"ready":…, \
                "delayed":…,"leased":…,"dead":…,"oldest_ready_age_ms":…}],"dicts":{name:keys}, \
                "lists":{name:values},"counters":{name:value}}. \
                --watch adds each queue's rates since the previous view: messages put (IN/S, \
                "in_per_s") and taken out by gets and acks (OUT/S, "out_per_s"), counted by \
                every process using the store.
                """))

        @OptionGroup var global: ReadOptions

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        @Flag(name: .long, help: "Keep showing the numbers as they change, until SIGINT/SIGTERM (redraws on a terminal).")
        var watch = false

        @Option(name: .long, help: "With --watch: stop after this many views (printed to a terminal every second and on each change, to a pipe only on a change).")
        var count: Int?

        func validate() throws {
            if count != nil && !watch { throw ValidationError("--count goes with --watch") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        }

        func run() throws {
            let store = try global.openStore()
            guard watch else {
                let stats = try store.stats()
                Output.standardOutput.write(Array((json ? try Self.json(stats, path: store.path) : Self.table(stats, path: store.path)).utf8))
                return
            }
            try watchLoop(store)
        }

        /// Shows the stats, then again after each change (at most 5 times a second, and
        /// at least every second so ages move), woken by the store's directory changing.
        private func watchLoop(_ store: Store) throws {
            let interrupt = try WaitInterrupt()
            StopSignal.install(waking: interrupt)
            let changes = try StoreChanges(store: store)
            let terminal = FileDescriptor.standardOutput.isTerminal
            var shown = 0
            var changed = true
            var rates = RateMeter()
            while StopSignal.pending == nil {
                // A terminal is redrawn every second too, so ages move; a pipe only gets
                // a new view when something changed.
                if changed || terminal {
                    let stats = try store.stats()
                    let perSecond = rates.measure(stats.queues.map(\.name)) { store.traffic(ofQueue: $0) }
                    var view = json ? try Self.json(stats, path: store.path, rates: perSecond)
                                    : Self.table(stats, path: store.path, rates: perSecond)
                    if terminal && !json {
                        view = "\u{1B}[H\u{1B}[2J" + view + "\n(updating as the store changes; Ctrl-C to stop)\n"
                    } else if !json && shown > 0 {
                        view = "\n" + view
                    }
                    Output.standardOutput.write(Array(view.utf8))
                    shown += 1
                    if let count, shown >= count { return }
                }
                changed = changes.wait(timeout: .seconds(1), interrupt: interrupt)
                if !changed { continue }
                CurrentProcess.sleep(microseconds: 200_000)  // at most five views a second, however busy the store is
            }
        }

        /// With `rates` (from `--watch`), each queue also has `in_per_s` and `out_per_s`
        /// (`null` in the first view).
        static func json(_ stats: StoreStats, path: String, rates: [String: RateMeter.Rate]? = nil) throws -> String {
            let queues = stats.queues.map { queue in
                StatsJSON.QueueJSON(queue: queue, watching: rates != nil, rate: rates?[queue.name])
            }
            let files = StatsJSON.Files(db: stats.databaseBytes, wal: stats.walBytes, shm: stats.sharedMemoryBytes)
            let json = StatsJSON(path: path, files: files, queues: queues, dicts: SortedKeys(stats.dicts),
                                 lists: SortedKeys(stats.lists), counters: SortedKeys(stats.counters))
            return try JSONLine.encode(json) + "\n"
        }

        /// With `rates` (from `--watch`), two more columns: messages put and taken out
        /// per second since the previous view.
        static func table(_ stats: StoreStats, path: String, rates: [String: RateMeter.Rate]? = nil) -> String {
            var rows = [["QUEUE", "READY", "DELAYED", "LEASED", "DEAD", "OLDEST"] + (rates == nil ? [] : ["IN/S", "OUT/S"])]
            for queue in stats.queues {
                // Pipes' queues have control characters in their names: show them readably.
                let name = queue.name.replacing("\u{1}", with: ":")
                var row = [name, "\(queue.ready)", "\(queue.delayed)", "\(queue.leased)", "\(queue.dead)",
                           queue.oldestReadyAge.map(DurationText.format) ?? "-"]
                if let rates {
                    let rate = rates[queue.name]
                    row += [rate.map { RateMeter.format($0.added) } ?? "-", rate.map { RateMeter.format($0.removed) } ?? "-"]
                }
                rows.append(row)
            }
            let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            var text = ""
            for row in rows {
                let cells = row.enumerated().map { column, cell in
                    column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
                }
                text += cells.joined(separator: "  ") + "\n"
            }
            if stats.queues.isEmpty { text += "(no messages)\n" }
            for (kind, sizes, unit) in [("dict", stats.dicts, "keys"), ("list", stats.lists, "values")] {
                for name in sizes.keys.sorted() { text += "\(kind) \(name): \(sizes[name]!) \(unit)\n" }
            }
            for name in stats.counters.keys.sorted() { text += "counter \(name): \(stats.counters[name]!)\n" }
            text += "\nstore \(path): db \(bytes(stats.databaseBytes)), wal \(bytes(stats.walBytes)), shm \(bytes(stats.sharedMemoryBytes))\n"
            return text
        }

        private static func bytes(_ count: Int64) -> String {
            let units = ["B", "KiB", "MiB", "GiB", "TiB"]
            var value = Double(count)
            var unit = 0
            while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
            return unit == 0 ? "\(count) B" : NumberText.fixed(value, digits: 1) + " " + units[unit]
        }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}

/// Messages per second in and out of each queue, from two readings of the store's
/// traffic counters (`Store.traffic(ofQueue:)`) a view apart.
/// What `stats --json` prints: `{"path":…,"files":{"db":…,"wal":…,"shm":…},"queues":[…],
/// "dicts":{name:keys},"lists":{name:values},"counters":{name:value}}`.
struct StatsJSON: Encodable {
    let path: String
    let files: Files
    let queues: [QueueJSON]
    let dicts: SortedKeys<Int>
    let lists: SortedKeys<Int>
    let counters: SortedKeys<Int64>

    struct Files: Encodable {
        let db: Int64
        let wal: Int64
        let shm: Int64
    }

    /// One queue's counts; when watching, also its rates (`null` until there are two views).
    struct QueueJSON: Encodable {
        let queue: QueueStats
        let watching: Bool
        let rate: RateMeter.Rate?

        enum CodingKeys: String, CodingKey {
            case name, ready, delayed, leased, dead, oldestReadyAgeMs = "oldest_ready_age_ms"
            case inPerSecond = "in_per_s", outPerSecond = "out_per_s"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(queue.name, forKey: .name)
            try container.encode(queue.ready, forKey: .ready)
            try container.encode(queue.delayed, forKey: .delayed)
            try container.encode(queue.leased, forKey: .leased)
            try container.encode(queue.dead, forKey: .dead)
            try container.encode(queue.oldestReadyAge?.milliseconds, forKey: .oldestReadyAgeMs)
            if watching {
                try container.encode(rate.map { FixedDecimal($0.added, digits: 1) }, forKey: .inPerSecond)
                try container.encode(rate.map { FixedDecimal($0.removed, digits: 1) }, forKey: .outPerSecond)
            }
        }
    }
}

struct RateMeter {
    struct Rate {
        let added: Double
        let removed: Double
    }

    private var last: (at: ContinuousClock.Instant, counts: [String: QueueTraffic])?

    /// Reads every queue's counters; returns the rates since the previous call (none
    /// for a queue on the first call, or one that was not there before).
    mutating func measure(_ queues: [String], reading: (String) -> QueueTraffic) -> [String: Rate] {
        let now = ContinuousClock.now
        var counts: [String: QueueTraffic] = [:]
        for queue in queues { counts[queue] = reading(queue) }
        var rates: [String: Rate] = [:]
        for (queue, current) in counts {
            guard let last, let before = last.counts[queue] else { continue }
            let seconds = max(Double((now - last.at).nanoseconds) / 1e9, 1e-3)
            rates[queue] = Rate(added: Double(current.added &- before.added) / seconds,
                                removed: Double(current.removed &- before.removed) / seconds)
        }
        last = (now, counts)
        return rates
    }

    static func format(_ perSecond: Double) -> String {
        perSecond >= 100 ? String(Int(perSecond.rounded())) : NumberText.fixed(perSecond, digits: 1)
    }
}
