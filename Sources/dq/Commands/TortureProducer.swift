import ArgumentParser
import DQTorture
import DurableQueue

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
            try TortureRun.produce(db: db, prefix: prefix, log: log, sync: sync, rate: rate)
        }
    }
}
