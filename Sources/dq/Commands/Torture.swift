import ArgumentParser
import DQSystem
import DQTorture
import DurableQueue
import FoundationEssentials

extension DQ {
    struct Torture: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "torture",
            abstract: "Kill producers and workers with SIGKILL at random, then check that nothing was lost.",
            discussion: HelpExamples.discussion("torture", """
                Runs producer processes (each logs a message only after its put returned) and \
                dq worker processes (each message's command appends the body to a file) on a \
                fresh store in --dir, SIGKILLs one of them every 50-300 ms and starts a new one, \
                for --seconds. Then it stops the producers, lets the workers drain the queue, and \
                prints committed / processed / lost / duplicates and PRAGMA integrity_check. \
                Exits 0 when nothing committed was lost and the store is intact, 1 otherwise. \
                Duplicates are expected: a worker killed after its command ran but before the \
                ack makes the message run again (at-least-once).
                """))

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

        @Option(name: .long, help: ArgumentHelp(
            "A store to torture instead of a fresh file in --dir, such as postgres://…: its queue torture is dropped first.",
            valueName: "store"))
        var db: String?

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
            let progress = ProgressLine()
            let torture = TortureRun(executable: Bench.executablePath(), sync: sync, producers: producers,
                                     workers: workers, seconds: seconds, rate: rate, grandchild: grandchild,
                                     db: db, start: Self.start, progress: { progress.show("running \($0) …") })
            let report = try torture.run(in: base)
            progress.clear()
            Output.standardOutput.write(Array((json ? try JSONLine.encode(report) + "\n" : report.text).utf8))
            if !report.passed { throw ExitCode(1) }
        }

        /// Starts a producer or worker with its output discarded.
        static func start(_ arguments: [String]) throws -> ChildProcess {
            switch Spawn.start(arguments, discardOutput: true, ownGroup: false) {
            case .success(let child): return child
            case .failure(let failure): throw DQError(.internalError, "cannot start \(arguments[1]): \(failure.description)")
            }
        }
    }
}
