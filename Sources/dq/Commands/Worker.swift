import ArgumentParser
import DQSystem
import Dispatch
import DurableQueue

extension DQ {
    struct Worker: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "worker",
            abstract: "Run a command for each message of a queue, at-least-once.",
            discussion: HelpExamples.discussion("worker", """
                Each message is leased and its body given to CMD on standard input, with \
                DQ_QUEUE, DQ_MESSAGE_ID and DQ_ATTEMPT in its environment. Exit 0 acks the \
                message; any other status, or running past --timeout, hands it back for a \
                retry after a backoff (--backoff, doubling per attempt, at most 5 minutes) \
                until --max-attempts deliveries, then it goes to the dead letters, which keep \
                the last failure (dq dead --json). The lease is extended while CMD runs. A CMD \
                that is not found exits 127, one that is not executable 126, before any \
                message is taken.

                A request from dq call (or Queue.call) is answered instead: CMD's standard \
                output is the reply body and its exit status the reply status (128 + N if \
                killed by signal N), sent in the transaction that acks the request, whatever \
                the status; a request is not retried.

                Each failed attempt prints one line on stderr; the one that sends the message \
                to the dead letters prints the second form instead:
                  dq worker: QUEUE ID: attempt N of M failed: REASON; retrying in D
                  dq worker: QUEUE ID: dead after N attempts: REASON
                ("1 attempt" when N is 1). REASON is "exit status S", "killed by SIGNAME", or \
                "timed out after D (exit status S)" / "timed out after D (killed by SIGNAME)".

                --timeout D: a CMD still running after D gets SIGTERM, with its whole process \
                group, and SIGKILL if it has not exited --grace later.

                --max-running N and --rate N/s (or N/m, N/h) hold across every worker of the \
                queue that gives them, in every process on the store: at most N of its \
                messages are handled at once (a killed worker's place is freed as its leases \
                are), and commands start at most N a second, evenly spaced. Every worker also \
                fires the store's due schedules (dq schedule).

                --exit-when-empty: exit 0 once no message is ready and none of this worker's \
                commands runs; it first waits out the backoff of messages it failed itself, \
                but not messages put with --delay that are not due yet, nor messages other \
                consumers hold.

                SIGTERM or SIGINT: take no new messages, let running commands finish within \
                --grace, then kill them; their messages go back to the queue without counting \
                an attempt. Each command runs in a process group of its own, killed whole when \
                the grace period ends. A command dies if the worker is killed; what it started \
                inherits the worker's lease-holder lock, so the worker's leases return to the \
                queue within about a second of the last of them exiting (a daemon that closes \
                its inherited descriptors lets them return at once).
                """))

        @OptionGroup var location: Location<Queue>

        @Option(name: .customShort("j"), help: "How many commands to run at once.")
        var jobs: Int = 1

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Lease length; extended while a command runs. (default: 30s)", valueName: "duration"),
                transform: Parse.duration)
        var lease: Duration = .seconds(30)

        @Option(name: .long, help: "Deliveries before a failing message goes to the dead letters.")
        var maxAttempts: Int = Queue.defaultMaxAttempts

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("How long running commands may take to finish after SIGTERM/SIGINT, or after a --timeout. (default: 10s)", valueName: "duration"),
                transform: Parse.duration)
        var grace: Duration = .seconds(10)

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Delay before the first retry of a failed message. (default: 1s)", valueName: "duration"),
                transform: Parse.duration)
        var backoff: Duration = .seconds(1)

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Fail an attempt whose command runs longer than this, and stop the command. (default: none)", valueName: "duration"),
                transform: Parse.duration)
        var timeout: Duration?

        @Option(name: .long, help: ArgumentHelp("At most N messages of the queue handled at once, across every worker that says so.", valueName: "N"))
        var maxRunning: Int?

        @Option(name: .long, help: ArgumentHelp("At most N commands started per second (N/s), minute (N/m) or hour (N/h), across every worker that says so.", valueName: "N/s"),
                transform: Parse.rate)
        var rate: WorkLimits.Rate?

        @Flag(name: .long, help: "Exit 0 once the queue has no ready message and no command of this worker runs.")
        var exitWhenEmpty = false

        @Argument(parsing: .postTerminator, help: "The command to run, after --.")
        var command: [String] = []

        func validate() throws {
            if command.isEmpty { throw ValidationError("give the command to run after --, as in: dq worker jobs -- ./handle.sh") }
            if jobs < 1 || jobs > 1_000 { throw ValidationError("-j must be between 1 and 1000") }
            if lease < .milliseconds(100) { throw ValidationError("--lease must be at least 100ms") }
            if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
            if let timeout, timeout < .milliseconds(1) { throw ValidationError("--timeout must be at least 1ms") }
            if let maxRunning, maxRunning < 1 { throw ValidationError("--max-running must be at least 1") }
        }

        func run() throws {
            RunnableCommand.check(command)
            let stopped = try StopSignal.interrupt()
            let queue = try location.open()
            let supervisor = try Supervisor(
                queue: queue, command: command, lease: lease, maxAttempts: maxAttempts, backoff: backoff,
                timeout: timeout, grace: grace, emptyWatch: exitWhenEmpty ? EmptyQueueWatch(slots: jobs) : nil,
                limits: maxRunning == nil && rate == nil ? nil : WorkLimits(maxRunning: maxRunning, rate: rate))
            ScheduleFirer.start(queue.store, until: supervisor.wake)
            let slots = DispatchGroup()
            for _ in 0..<jobs {
                slots.enter()
                detachThread {
                    supervisor.runSlot()
                    slots.leave()
                }
            }
            slots.notify(queue: .global()) { stopped.signal() }
            // Sleep until a stop signal or until every slot has ended (either signals `stopped`).
            while slots.wait(timeout: .now()) == .timedOut {
                _ = Poll.readable([FileDescriptor(rawValue: stopped.fileDescriptor)], milliseconds: 1_000)
                if StopSignal.pending != nil {
                    supervisor.wake.signal()
                    break
                }
            }
            let graceNanoseconds = Int(clamping: grace.nanoseconds)
            if slots.wait(timeout: .now() + .nanoseconds(graceNanoseconds)) == .timedOut {
                supervisor.killRunning()
                _ = slots.wait(timeout: .now() + .seconds(10))
            }
            if let failure = supervisor.failure { throw failure }
        }
    }
}
