import ArgumentParser
import DurableQueue
import FoundationEssentials
@preconcurrency import Glibc

extension DQ {
    /// A producer for `dq torture`; not for direct use. Puts `PREFIX-N` for N = 1, 2, …,
    /// RATE per second, and appends N to LOG after each put returns, until killed.
    struct TortureProducer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "torture-producer", abstract: "A dq torture producer.", shouldDisplay: false)

        @Argument var db: String
        @Argument var prefix: String
        @Argument var log: String
        @Option var sync: Durability = .normal
        @Option var rate: Double = 100

        func run() throws {
            let queue = try Store(path: db, options: StoreOptions(durability: sync)).queue("torture")
            let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw DQError(.storeUnavailable, "cannot open \(log)") }
            // Continue after the last number a killed predecessor logged.
            var next = (try? String(contentsOfFile: log, encoding: .utf8))?
                .split(separator: "\n").compactMap { Int($0) }.max().map { $0 + 1 } ?? 1
            let interval = UInt32(1_000_000 / rate)
            while true {
                usleep(interval)
                try queue.put("\(prefix)-\(next)\n")
                let line = Array("\(next)\n".utf8)
                _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                next += 1
            }
        }
    }
}
