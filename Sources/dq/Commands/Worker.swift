import ArgumentParser
import DQSystem
import Dispatch
import DurableQueue
import FoundationEssentials
import Synchronization

extension DQ {
    struct Worker: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "worker",
            abstract: "Run a command for each message of a queue, at-least-once.",
            discussion: """
                Each message is leased and its body given to CMD on standard input, with \
                DQ_QUEUE, DQ_MESSAGE_ID and DQ_ATTEMPT in its environment. Exit 0 acks the \
                message; any other status hands it back for a retry after a backoff (--backoff, \
                doubling per attempt, at most 5 minutes) until --max-attempts deliveries, then it \
                goes to the dead letters. The lease is extended while CMD runs.

                SIGTERM or SIGINT: take no new messages, let running commands finish within \
                --grace, then kill them; their messages go back to the queue without counting \
                an attempt. Each command runs in a process group of its own, killed whole when \
                the grace period ends. A command dies if the worker is killed; what it started \
                inherits the worker's lease-holder lock, so the worker's leases return to the \
                queue within about a second of the last of them exiting (a daemon that closes \
                its inherited descriptors lets them return at once).
                """)

        @OptionGroup var location: Location<Queue>

        @Option(name: .customShort("j"), help: "How many commands to run at once.")
        var jobs: Int = 1

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Lease length; extended while a command runs. (default: 30s)", valueName: "duration"),
                transform: Parse.duration)
        var lease: Duration = .seconds(30)

        @Option(name: .long, help: "Deliveries before a failing message goes to the dead letters.")
        var maxAttempts: Int = Queue.defaultMaxAttempts

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("How long running commands may take to finish after SIGTERM/SIGINT. (default: 10s)", valueName: "duration"),
                transform: Parse.duration)
        var grace: Duration = .seconds(10)

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Delay before the first retry of a failed message. (default: 1s)", valueName: "duration"),
                transform: Parse.duration)
        var backoff: Duration = .seconds(1)

        @Argument(parsing: .postTerminator, help: "The command to run, after --.")
        var command: [String] = []

        func validate() throws {
            if command.isEmpty { throw ValidationError("give the command to run after --, as in: dq worker jobs -- ./handle.sh") }
            if jobs < 1 || jobs > 1_000 { throw ValidationError("-j must be between 1 and 1000") }
            if lease < .milliseconds(100) { throw ValidationError("--lease must be at least 100ms") }
            if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        }

        func run() throws {
            let interrupt = try WaitInterrupt()
            StopSignal.install(waking: interrupt)
            let queue = try location.open()
            let supervisor = Supervisor(
                queue: queue, command: command, lease: lease, maxAttempts: maxAttempts, backoff: backoff)
            let slots = DispatchGroup()
            for _ in 0..<jobs {
                slots.enter()
                detachThread {
                    supervisor.runSlot(interrupt: interrupt)
                    slots.leave()
                }
            }
            // Sleep until a stop signal (the interrupt) or until every slot has ended.
            while slots.wait(timeout: .now()) == .timedOut {
                _ = Poll.readable([FileDescriptor(rawValue: interrupt.fileDescriptor)], milliseconds: 1_000)
                if StopSignal.pending != nil { break }
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

/// Runs the worker's slots: lease a message, run the command on it, settle it.
///
/// Commands start with `posix_spawn` rather than swift-subprocess: each must die with
/// the worker, which takes `PR_SET_PDEATHSIG` set between fork and exec, and
/// swift-subprocess offers no pre-exec hook on Linux (only spawn attributes). So the
/// command runs through `dq child-exec`, which sets the signal and execs it; the rest
/// (a process group, a stdin pipe, a reaping thread) is plain POSIX.
///
final class Supervisor: Sendable {
    let queue: Queue
    let command: [String]
    let lease: Duration
    let maxAttempts: Int
    let backoff: Duration
    private let children = Mutex<Children>(Children())
    private let firstFailure = Mutex<DQError?>(nil)

    /// The commands running now, and those killed at shutdown.
    private struct Children {
        var running: Set<ChildProcess> = []
        var killed: Set<ChildProcess> = []
    }

    /// The first error that stopped a slot.
    var failure: DQError? { firstFailure.withLock { $0 } }

    init(queue: Queue, command: [String], lease: Duration, maxAttempts: Int, backoff: Duration) {
        self.queue = queue
        self.command = command
        self.lease = lease
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }

    /// One slot: until a stop signal, lease a message and handle it.
    func runSlot(interrupt: WaitInterrupt) {
        while StopSignal.pending == nil {
            do {
                guard let leased = try queue.receive(lease: lease, timeout: nil, maxAttempts: maxAttempts,
                                                     interrupt: interrupt).first else { return }
                try handle(leased)
            } catch {
                firstFailure.withLock { $0 = $0 ?? (error as? DQError) ?? DQError(.internalError, "\(error)") }
                interrupt.signal()
                return
            }
        }
    }

    private func handle(_ leased: LeasedMessage) throws {
        let message = leased.message
        let outcome = try runCommand(body: message.body, environment: [
            "DQ_QUEUE": queue.name, "DQ_MESSAGE_ID": String(message.id), "DQ_ATTEMPT": String(message.attempt),
        ], keepLeased: leased.receipt)
        if !(try queue.settle(leased, outcome, maxAttempts: maxAttempts, backoff: backoff)) {
            // The lease was lost (the store was unreachable past it): the message is
            // someone else's now, and this outcome cannot be recorded.
            ErrorReport.warn("message \(message.id): its lease ran out before the command ended; it was delivered again")
        }
    }

    /// Runs the command with `body` on its standard input, extending the lease every
    /// third of it until the command exits.
    private func runCommand(body: Data, environment: [String: String], keepLeased receipt: Receipt) throws -> WorkOutcome {
        // Close-on-exec from the start: another slot spawning meanwhile must not inherit
        // the write end (its command would then never see the end of this input).
        let input: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        do throws(Errno) {
            input = try FileDescriptor.pipeClosedOnExec()
        } catch {
            throw DQError(error, "pipe", otherwise: .internalError)
        }
        // The command inherits this process's lease-holder lock: its leases are not
        // handed back while anything the command started still runs, even if the worker
        // is killed.
        let holder = queue.store.leaseHolderDescriptor.map { [FileDescriptor(rawValue: $0)] } ?? []
        let spawned = Spawn.command(command, environment: environment, stdin: input.readEnd, inherit: holder, ownGroup: true)
        input.readEnd.close()
        guard case .success(let child) = spawned else {
            input.writeEnd.close()
            if case .failure(let failure) = spawned {
                // Only running out of processes or memory is worth a retry; the rest is the command's.
                let exhausted = DQError.Kind(errno: failure) == .resourceExhausted
                throw DQError(exhausted ? .resourceExhausted : .internalError, "cannot start \(command[0]): \(failure.description)")
            }
            throw DQError(.internalError, "cannot start \(command[0])")
        }
        children.withLock { _ = $0.running.insert(child) }
        defer { children.withLock { _ = $0.running.remove(child) } }

        // Feed the body on its own thread: the command may not read it all, or late.
        let writer = input.writeEnd
        detachThread {
            body.withUnsafeBytes { bytes in _ = try? writer.writeAll(bytes) }
            writer.close()
        }

        let exited = DispatchSemaphore(value: 0)
        let status = ExitStatus()
        detachThread {
            status.value = child.wait()
            exited.signal()
        }
        let keeper = LeaseKeeper(queue: queue, receipt: receipt, lease: lease) { error in
            ErrorReport.warn("message \(receipt.id): cannot extend its lease: \(error.message)")
        }
        exited.wait()
        keeper.stop()
        if children.withLock({ $0.killed.contains(child) }) { return .stopped }
        return status.value.shellStatus == 0 ? .done : .failed
    }

    /// Kills every running command and all of its process group (the grace period ran
    /// out).
    func killRunning() {
        children.withLock { children in
            for child in children.running {
                children.killed.insert(child)
                child.sendToGroup(.kill)
            }
        }
    }

    /// A child's wait status, written by the thread that reaped it before it signals.
    private final class ExitStatus: @unchecked Sendable {
        var value = WaitStatus(rawValue: 0)
    }
}
