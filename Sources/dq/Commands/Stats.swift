import ArgumentParser
import DQSystem
import DurableQueue
import FoundationEssentials

extension DQ {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Show queue counts, dicts, lists, counters, events, held locks and file sizes.",
            discussion: HelpExamples.discussion("stats", """
                Per queue: ready (deliverable now), delayed, leased, dead, and the age of the \
                oldest ready message; then dicts (keys), lists (values), counters (values) and \
                events (set or clear); then the locks held (dq lock), each with the pid that \
                holds it, for how long, and how many wait. --json prints one object: \
                {"path":…,"files":{"db":…,"wal":…,"shm":…},"queues":[{"name":…,"ready":…, \
                "delayed":…,"leased":…,"dead":…,"oldest_ready_age_ms":…}],"dicts":{name:keys}, \
                "lists":{name:values},"counters":{name:value},"events":{name:true|false}, \
                "locks":[{"name":…,"pid":…,"host":…,"held_ms":…,"waiting":…}]}.

                --watch adds each queue's rates: messages put (IN/S, "in_per_s") and taken out \
                by gets and acks (OUT/S, "out_per_s") per second over the last \
                \(RateMeter.window.components.seconds) seconds (null in the first view), counted \
                by every process using the store.

                On a terminal, lines fit its width (the terminal's size, else $COLUMNS, else \
                80): long names are shortened in the middle with "…", CJK and emoji counted as \
                two columns. To a pipe or a file, names are printed whole.
                """))

        @OptionGroup var global: ReadOptions

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        @Flag(name: .long, help: "Keep showing the numbers as they change, with rates over the last \(RateMeter.window.components.seconds) s, until SIGINT/SIGTERM (redraws on a terminal).")
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
                let locks = try store.heldLocks()
                let view = json ? try Self.json(stats, locks: locks, path: store.path)
                                : Self.table(stats, locks: locks, path: store.path, width: TerminalWidth.standardOutput())
                Output.standardOutput.write(Array(view.utf8))
                return
            }
            try watchLoop(store)
        }

        /// Shows the stats, then again after each change (at most 5 times a second, and
        /// at least every second so ages move), woken by the store's directory changing.
        /// The traffic counters are read at every wake-up, shown or not, so the rates
        /// cover their whole window.
        private func watchLoop(_ store: Store) throws {
            let interrupt = try StopSignal.interrupt()
            let changes = try StoreChanges(store: store)
            let terminal = FileDescriptor.standardOutput.isTerminal
            var shown = 0
            var changed = true
            var rates = RateMeter()
            var queues: [String] = []
            while StopSignal.pending == nil {
                // A terminal is redrawn every second too, so ages move; a pipe only gets
                // a new view when something changed.
                if changed || terminal {
                    let stats = try store.stats()
                    let locks = try store.heldLocks()
                    queues = stats.queues.map(\.name)
                    let perSecond = rates.measure(queues) { store.traffic(ofQueue: $0) }
                    let width = TerminalWidth.standardOutput()
                    var view = json ? try Self.json(stats, locks: locks, path: store.path, rates: perSecond)
                                    : Self.table(stats, locks: locks, path: store.path, rates: perSecond, width: width)
                    if terminal && !json {
                        view = "\u{1B}[H\u{1B}[2J" + view + "\n" + Self.fitted(["(updating as the store changes; Ctrl-C to stop)"], to: width)
                    } else if !json && shown > 0 {
                        view = "\n" + view
                    }
                    Output.standardOutput.write(Array(view.utf8))
                    shown += 1
                    if let count, shown >= count { return }
                } else {
                    _ = rates.measure(queues) { store.traffic(ofQueue: $0) }
                }
                changed = changes.wait(timeout: .seconds(1), interrupt: interrupt)
                if !changed { continue }
                CurrentProcess.sleep(microseconds: 200_000)  // at most five views a second, however busy the store is
            }
        }

        /// With `rates` (from `--watch`), each queue also has `in_per_s` and `out_per_s`
        /// (`null` in the first view).
        static func json(_ stats: StoreStats, locks: [HeldLock], path: String, rates: [String: RateMeter.Rate]? = nil) throws -> String {
            let queues = stats.queues.map { queue in
                StatsJSON.QueueJSON(queue: queue, watching: rates != nil, rate: rates?[queue.name])
            }
            let files = StatsJSON.Files(db: stats.databaseBytes, wal: stats.walBytes, shm: stats.sharedMemoryBytes)
            let json = StatsJSON(path: path, files: files, queues: queues, dicts: SortedKeys(stats.dicts),
                                 lists: SortedKeys(stats.lists), counters: SortedKeys(stats.counters),
                                 events: SortedKeys(stats.events), locks: locks.map { StatsJSON.LockJSON(lock: $0, now: Date()) })
            return try JSONLine.encode(json) + "\n"
        }

        /// The queues' table, then one line per dict, list, counter, event and held lock,
        /// then the store's files. With `rates` (from `--watch`), two more columns: messages put
        /// and taken out per second. With a `width`, no line is wider: names are shortened
        /// first (a queue's to no less than 10 columns), then lines cut.
        static func table(_ stats: StoreStats, locks: [HeldLock], path: String, rates: [String: RateMeter.Rate]? = nil,
                          width: Int? = nil) -> String {
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
            var widths = (0..<rows[0].count).map { column in rows.map { DisplayWidth.columns($0[column]) }.max() ?? 0 }
            if let width {
                let others = widths.dropFirst().reduce(0, +) + 2 * (widths.count - 1)
                widths[0] = min(widths[0], max(width - others, 10))
            }
            var lines: [String] = []
            for row in rows {
                let cells = row.enumerated().map { column, cell in
                    column == 0 ? DisplayWidth.padded(DisplayWidth.truncated(cell, to: widths[0]), to: widths[0])
                        : column == row.count - 1 ? cell : DisplayWidth.padded(cell, to: widths[column])
                }
                lines.append(cells.joined(separator: "  "))
            }
            if stats.queues.isEmpty { lines.append("(no messages)") }
            let named: [(kind: String, names: [String: String])] = [
                ("dict", stats.dicts.mapValues { "\($0) keys" }), ("list", stats.lists.mapValues { "\($0) values" }),
                ("counter", stats.counters.mapValues { "\($0)" }), ("event", stats.events.mapValues { $0 ? "set" : "clear" }),
            ]
            for (kind, values) in named {
                for name in values.keys.sorted() { lines.append(labelled(kind + " ", name, ": " + values[name]!, width: width)) }
            }
            for lock in locks {
                var holder = "held" + (lock.pid.map { " by pid \($0)" } ?? "") + (lock.host.map { " on \($0)" } ?? "")
                if let held = lock.held(at: Date()) { holder += " for " + DurationText.format(held) }
                if lock.waiting > 0 { holder += ", \(lock.waiting) waiting" }
                lines.append(labelled("lock ", lock.name ?? "(unknown name)", ": " + holder, width: width))
            }
            let files = ": db \(bytes(stats.databaseBytes)), wal \(bytes(stats.walBytes)), shm \(bytes(stats.sharedMemoryBytes))"
            lines += ["", labelled("store ", path, files, width: width)]
            return fitted(lines, to: width)
        }

        /// `prefix + name + suffix`, the name shortened so that the line fits in `width`
        /// columns where it can.
        private static func labelled(_ prefix: String, _ name: String, _ suffix: String, width: Int?) -> String {
            guard let width else { return prefix + name + suffix }
            let room = width - DisplayWidth.columns(prefix) - DisplayWidth.columns(suffix)
            return prefix + DisplayWidth.truncated(name, to: max(room, 10)) + suffix
        }

        /// The lines, each ended by a newline and cut with "…" to `width` columns.
        static func fitted(_ lines: [String], to width: Int?) -> String {
            lines.map { line in (width.map { DisplayWidth.clipped(line, to: $0) } ?? line) + "\n" }.joined()
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

/// What `stats --json` prints: `{"path":…,"files":{"db":…,"wal":…,"shm":…},"queues":[…],
/// "dicts":{name:keys},"lists":{name:values},"counters":{name:value},"events":{name:set},
/// "locks":[{"name":…,"pid":…,"host":…,"held_ms":…,"waiting":…}]}`.
struct StatsJSON: Encodable {
    let path: String
    let files: Files
    let queues: [QueueJSON]
    let dicts: SortedKeys<Int>
    let lists: SortedKeys<Int>
    let counters: SortedKeys<Int64>
    let events: SortedKeys<Bool>
    let locks: [LockJSON]

    /// One held lock; `pid`, `host` and `held_ms` are `null` where the engine cannot tell.
    struct LockJSON: Encodable {
        let name: String?
        let pid: Int32?
        let host: String?
        let heldMs: Int64?
        let waiting: Int

        init(lock: HeldLock, now: Date) {
            name = lock.name
            pid = lock.pid
            host = lock.host
            heldMs = lock.held(at: now)?.milliseconds
            waiting = lock.waiting
        }

        enum CodingKeys: String, CodingKey {
            case name, pid, host, heldMs = "held_ms", waiting
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(pid, forKey: .pid)
            try container.encode(host, forKey: .host)
            try container.encode(heldMs, forKey: .heldMs)
            try container.encode(waiting, forKey: .waiting)
        }
    }

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
