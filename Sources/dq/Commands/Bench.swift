import ArgumentParser
import DQBench
import DQSystem
import DurableQueue
import FoundationEssentials

extension DQ {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Run the standard workloads and compare them with raw SQLite and the kernel.",
            discussion: HelpExamples.discussion("bench", """
                Every workload runs in real processes (copies of this dq), released together by a \
                barrier. W1-W3 also run as raw SQLite statements, and W5 as a pipe ping-pong, in \
                the same run and with the same settings: the "floor" column, with "ratio" = \
                dq / floor (for rates 1.0 is the floor, higher is better; for latencies it is \
                how many times the floor's latency). Percentiles are nearest-rank over all \
                samples (HdrHistogram, 3 significant digits). W1-W3 and their floors run \
                alternately three times each, and so do W7 and its floor on PostgreSQL; the \
                medians are reported. floor-W5-sqlite is W5 \
                done with raw SQLite statements and a bare inotify doorbell (look with a read, \
                take if there is a row, sleep on the bell if not; poll the write lock every few \
                µs): what a queue on SQLite alone achieves here. floor-W8 is the sqlite3 shell \
                (when it is on PATH) doing W8's inserts and deletes, one process each, on a \
                store of the same shape, each right before the dq invocation it is compared with; \
                floor-W8-kept the same with the shell closing as dq does (no checkpoint on close). \
                With --db postgres://…, every run gets a fresh database on that server and the \
                floors are raw SQL sent through the same client as dq's: single-row INSERTs (W1), \
                INSERT … SELECT FROM unnest (W2), DELETE … FOR UPDATE SKIP LOCKED RETURNING (W3), \
                a LISTEN/NOTIFY ping-pong between two processes (W5), and a LISTEN with that \
                DELETE once a second on one connection (W7).

                W1 put 20,000 x 1 per transaction; W2 put 200,000, 1,000 per transaction; W3 get \
                20,000 one at a time; W3L the same with lease + ack per message, each ack \
                committed in the transaction that leases the next (receive(lease:acking:)); W4 2 \
                producers + 2 consumers, 20,000 messages; W5 5,000 request/reply round trips of \
                16 bytes; W5C 5,000 dq call round trips through a responder (Queue.call and \
                Queue.respond), its floor W5 measured in the same run; W6 end-to-end latency at 2,000 msg/s for \
                5 s; W7 CPU used by a consumer blocked 10 s; W8 500 dq put + 500 dq get \
                invocations; Q1 W1 and W8 on a store holding 100,000 other queues (one message \
                each), against the same on a store with one queue (the ratio: 1.00 means the other \
                queues cost nothing). Bodies are 100 random bytes. C4: 4 producer processes x 5,000 puts at \
                once, latency of each put (compare with --writer-lock). P4: 4 producer processes \
                x 5,000 puts at once, each on a queue of its own, against 4 processes inserting raw \
                rows (alternated 3 times, medians). K1: one process sets a dict \
                key 200 times a second, another waits for each change; latency from set to wake. \
                E1: the same for an event (set, wake, clear, 1,000 rounds). S1 publishes 20,000 \
                stream entries one per transaction, against W1's floor; S2 publishes 2,000 \
                entries a second for 5 s to 4 groups with one blocked subscriber each, \
                end-to-end latency per group and over all, against W6 run beside it (S2-W6); \
                on SQLite also floor-S2, the same fan-out done raw: one insert per transaction \
                and a bell file, each reader woken by inotify reading the new rows without \
                writing (its place kept in memory), the least any fan-out costs a reader. W6, \
                S2 and floor-S2 run in turn three times, and each one's percentiles are over the \
                samples of its three runs. \
                D1 starts dq web on a store (no page open), lets it settle for a second, and \
                measures the CPU its threads use in the next 10 s, against W7 run just before \
                (D1-W7).
                """))

        @Option(name: .long, help: ArgumentHelp(
            "Workloads to run: all (W1-W8, W3L, W5C and Q1), or a list such as W1,W3,W5. C4 (4 producers, put latency), K1 and E1 (kv / event wait wake-up) run only when named.",
            valueName: "list"))
        var workload: String = "all"

        @Flag(name: .long, help: "Make writers take turns on a flock instead of in SQLite's busy handler (to compare).")
        var writerLock = false

        @Option(name: .long, help: ArgumentHelp("normal or full (fsync per commit, except leases and acks), for dq and the floors alike.", valueName: "normal|full"))
        var sync: Durability = .normal

        @Flag(name: .long, help: "Print one JSON object per line instead of a table.")
        var json = false

        @Flag(name: .long, help: "Small sizes that finish in seconds (numbers are not comparable to a full run).")
        var quick = false

        @Option(name: .long, help: ArgumentHelp("For W3: messages left waiting behind the ones removed.", valueName: "n"))
        var backlog: Int = 0

        @Option(name: .long, help: ArgumentHelp("For S2: consumer groups, each with one subscriber (default 4).", valueName: "n"))
        var groups: Int = 4

        @Option(name: .long, help: ArgumentHelp("Where to make the benchmark stores, made if missing (default: $TMPDIR or /tmp).", valueName: "dir"))
        var dir: String?

        @Option(name: .long, help: ArgumentHelp(
            "Run on this PostgreSQL server instead: a fresh database per run (made with CREATE DATABASE, dropped at the end), floors in raw SQL. Q1 does not run there; W8 runs without a floor.",
            valueName: "postgres://…"))
        var db: String?

        func selectedWorkloads() throws -> [Workload] {
            if workload.lowercased() == "all" { return Workload.standard }
            return try workload.split(separator: ",").map { name in
                guard let workload = Workload(rawValue: name.trimmingBlanks.uppercased()) else {
                    throw ValidationError("unknown workload '\(name)': choose from \(Workload.allCases.map(\.rawValue).joined(separator: ", ")) or all")
                }
                return workload
            }
        }

        func validate() throws {
            _ = try selectedWorkloads()
            if backlog < 0 { throw ValidationError("--backlog must not be negative") }
            if groups < 1 || groups > 64 { throw ValidationError("--groups must be 1-64") }
            if let db, !PostgresAddress.isAddress(db) {
                throw ValidationError("--db takes a postgres:// address (SQLite stores go in --dir)")
            }
        }

        func run() throws {
            let directory = dir ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            let configuration = BenchConfiguration(
                workloads: try selectedWorkloads(), durability: sync, quick: quick, backlog: backlog,
                directory: directory, executable: Self.executablePath(), writerLock: writerLock, server: db, groups: groups)
            let progress = ProgressLine()
            let runner: BenchRunner
            do { runner = try BenchRunner(configuration, progress: { progress.show("running \($0) …") }) } catch let error as BenchError {
                throw DQError(.storeUnavailable, error.description)
            }
            var table = BenchTable()
            if !json {
                Output.standardOutput.write(Array(BenchTable.header(durability: runner.durability, quick: quick, location: runner.location).utf8))
            }
            do {
                try runner.run { result in
                    progress.clear()
                    if json {
                        Output.standardOutput.write(Array((result.json + "\n").utf8))
                    } else {
                        Output.standardOutput.write(Array(table.row(result).utf8))
                    }
                } note: { note in
                    progress.clear()
                    // JSON lines stay results only; the note goes to stderr there.
                    (json ? Output.standardError : Output.standardOutput).write(Array(((json ? "dq: " : "") + note + "\n").utf8))
                }
            } catch let error as BenchError {
                progress.clear()
                throw DQError(.internalError, "bench: \(error.description)")
            }
            progress.clear()
        }

        static func executablePath() -> String {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        }
    }
}

/// The human-readable table `dq bench` prints.
struct BenchTable {
    static func header(durability: String, quick: Bool, location: String) -> String {
        """
            dq bench \(DQ.version) — \(durability)\(quick ? ", quick sizes" : "")
            machine: \(Machine.description)
            binary:  \(Machine.binary(DQ.Bench.executablePath()))
            stores:  \(location)

            \(line(["workload", "what", "value", "p50", "p99", "p99.9", "floor", "ratio"]))

            """
    }

    mutating func row(_ result: BenchResult) -> String {
        func figure(_ value: Double?) -> String {
            guard let value else { return "" }
            return value >= 100 ? Self.grouped(Int64(value.rounded())) : NumberText.fixed(value, digits: 2)
        }
        return Self.line([
            result.workload, result.title, figure(result.value) + " " + result.unit,
            figure(result.p50), figure(result.p99), figure(result.p999), figure(result.floor),
            result.ratio.map { NumberText.fixed($0, digits: 2) + "×" } ?? "",
        ]) + "\n"
    }

    static let widths = [15, 51, 16, 9, 9, 9, 10, 7]

    static func line(_ cells: [String]) -> String {
        zip(cells, widths).enumerated().map { index, pair in
            let (cell, width) = pair
            let pad = String(repeating: " ", count: max(0, width - cell.count))
            return index < 2 ? cell + pad : pad + cell
        }.joined(separator: " ")
    }

    static func grouped(_ value: Int64) -> String {
        let digits = String(value)
        var out = ""
        for (index, char) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 { out.append(",") }
            out.append(char)
        }
        return String(out.reversed())
    }
}

/// The machine a benchmark ran on, in one line: CPU model, cores, memory, kernel.
enum Machine {
    /// The executable's size, and whether it is one self-contained file (no program
    /// interpreter, so nothing is loaded or bound at start).
    static func binary(_ path: String) -> String {
        guard let status = try? FileStatus(path: path) else { return path }
        let megabytes = NumberText.fixed(Double(status.size) / 1_048_576, digits: 1)
        let linking = isStatic(path) ? "statically linked" : "dynamically linked"
        return "\(path) (\(megabytes) MiB, \(linking))"
    }

    /// Whether the ELF file at `path` has no `PT_INTERP` program header.
    private static func isStatic(_ path: String) -> Bool {
        guard let fd = try? FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) else { return false }
        defer { fd.close() }
        func read(_ count: Int, at offset: Int) -> [UInt8]? {
            var bytes = [UInt8](repeating: 0, count: count)
            let read = bytes.withUnsafeMutableBytes { try? fd.read(fromAbsoluteOffset: Int64(offset), into: $0) }
            return read == count ? bytes : nil
        }
        guard let header = read(64, at: 0), header[0..<4] == [0x7F, 0x45, 0x4C, 0x46], header[4] == 2 else { return false }
        func little(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reversed().reduce(0) { $0 << 8 | Int($1) } }
        let offset = little(header[32..<40]), size = little(header[54..<56]), count = little(header[56..<58])
        guard let table = read(size * count, at: offset) else { return false }
        let interpreter = 3
        return !stride(from: 0, to: table.count, by: size).contains { little(table[$0..<$0 + 4]) == interpreter }
    }

    static var description: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { String($0.trimmingBlanks) } ?? "unknown CPU"
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(NumberText.fixed(memory, digits: 0)) GiB, Linux \(Kernel.release)"
    }
}
