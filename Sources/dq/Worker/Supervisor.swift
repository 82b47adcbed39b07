import DQSystem
import Dispatch
import DurableQueue
import FoundationEssentials
import Synchronization

/// Runs `dq worker`'s slots: lease a message, run the command on it, settle it, and say
/// on stderr when an attempt failed.
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
    /// How long a command may run before it is signalled (`--timeout`).
    let timeout: Duration?
    /// How long a command signalled on timeout has to exit before SIGKILL (`--grace`).
    let grace: Duration
    /// With `--exit-when-empty`, what says when the worker is done.
    let emptyWatch: EmptyQueueWatch?
    /// `--max-running` and `--rate`, shared with every worker of the queue.
    let limits: WorkLimits?
    /// Ends the slots' waits for messages: a stop, a slot's failure, or the worker done.
    let wake: WaitInterrupt
    private let children = Mutex<Children>(Children())
    private let firstFailure = Mutex<DQError?>(nil)

    /// The commands running now, and those killed at shutdown.
    private struct Children {
        var running: Set<ChildProcess> = []
        var killed: Set<ChildProcess> = []
    }

    /// The first error that stopped a slot.
    var failure: DQError? { firstFailure.withLock { $0 } }

    init(queue: Queue, command: [String], lease: Duration, maxAttempts: Int, backoff: Duration, timeout: Duration?,
         grace: Duration, emptyWatch: EmptyQueueWatch?, limits: WorkLimits?) throws(DQError) {
        self.queue = queue
        self.command = command
        self.lease = lease
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.timeout = timeout
        self.grace = grace
        self.emptyWatch = emptyWatch
        self.limits = limits
        wake = try WaitInterrupt()
    }

    /// Whether slots take no more messages: a stop signal, a slot failed, or the worker is done.
    private var isEnding: Bool {
        StopSignal.pending != nil || failure != nil || emptyWatch?.isDone == true
    }

    /// One slot: until the worker ends, lease a message and handle it.
    func runSlot() {
        while !isEnding {
            do {
                guard let leased = try take() else {
                    if emptyWatch == nil { return }  // woken to stop
                    continue
                }
                try handle(leased)
            } catch {
                firstFailure.withLock { $0 = $0 ?? (error as? DQError) ?? DQError(.internalError, "\(error)") }
                wake.signal()
                return
            }
        }
    }

    /// The slot's next message, waiting for one; `nil` when woken without one. With
    /// `--exit-when-empty`, a slot that finds nothing ready tells `emptyWatch`, and the
    /// last one to do so ends the worker.
    private func take() throws(DQError) -> LeasedMessage? {
        guard let watch = emptyWatch else { return try receive(waiting: nil) }
        let looked = ContinuousClock.now
        if let leased = try receive(waiting: .zero) { return leased }
        // Held back by a limit, not idle: wait for a turn (woken when one comes).
        if limits != nil, try queue.count() > 0 { return try receive(waiting: .seconds(1)) }
        switch watch.becameIdle(lookedAt: looked) {
        case .done:
            wake.signal()
            return nil
        case .wait(let limit):
            defer { watch.stopWaiting() }
            return try receive(waiting: limit)
        }
    }

    private func receive(waiting timeout: Duration?) throws(DQError) -> LeasedMessage? {
        try queue.receive(lease: lease, timeout: timeout, maxAttempts: maxAttempts, limits: limits, interrupt: wake).first
    }

    private func handle(_ leased: LeasedMessage) throws {
        let message = leased.message
        let output = message.expectsReply ? OutputCapture() : nil
        let ending = try runCommand(body: message.body, environment: [
            "DQ_QUEUE": queue.name, "DQ_MESSAGE_ID": String(message.id), "DQ_ATTEMPT": String(message.attempt),
        ], keepLeased: leased.receipt, output: output)
        if let output, ending.outcome != .stopped {
            return try answer(leased, with: ending, output: output.collected())
        }
        let failure = ending.failure
        if !(try queue.settle(leased, ending.outcome, maxAttempts: maxAttempts, backoff: backoff, failure: failure)) {
            // The lease was lost (the store was unreachable past it): the message is
            // someone else's now, and this outcome cannot be recorded.
            ErrorReport.warn("message \(message.id): its lease ran out before the command ended; it was delivered again")
            return
        }
        guard let failure else { return }
        if message.attempt >= maxAttempts {
            WorkerLine.print(WorkerLine.dead(message, failure: failure))
        } else {
            let delay = Queue.retryDelay(afterAttempt: message.attempt, backoff: backoff)
            emptyWatch?.retry(after: delay)
            WorkerLine.print(WorkerLine.retrying(message, maxAttempts: maxAttempts, failure: failure, delay: delay))
        }
    }

    /// Settles a request however its command ended: its output is the reply body and its
    /// exit status the reply status (128 + N when killed by signal N), committed with the ack.
    private func answer(_ leased: LeasedMessage, with ending: CommandEnding, output: Data) throws(DQError) {
        let oversize = output.count > Queue.maxBodyBytes
        if oversize {
            ErrorReport.warn("message \(leased.message.id): the command's output is over \(Queue.maxBodyBytes) bytes; replying with status 70 and no body")
        }
        let reply = oversize ? Reply(Data(), status: 70) : Reply(output, status: ending.replyStatus)
        let result = Result { () throws(DQError) in try queue.reply(reply, to: leased) }
        if case .failure(let error) = result {
            guard error.kind == .staleReceipt else { throw error }
            ErrorReport.warn("message \(leased.message.id): its lease ran out before the command ended; it was delivered again")
        }
    }

    /// Runs the command with `body` on its standard input, extending the lease every
    /// third of it until the command exits; past `timeout`, signals its process group.
    /// With `output`, the command's standard output goes there.
    private func runCommand(body: Data, environment: [String: String], keepLeased receipt: Receipt,
                            output: OutputCapture?) throws -> CommandEnding {
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
        let outputEnd = try output?.start()
        let spawned = Spawn.command(command, environment: environment, stdin: input.readEnd, stdout: outputEnd,
                                    inherit: holder, ownGroup: true)
        input.readEnd.close()
        outputEnd?.close()
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

        // Feed the body on its own thread: the command may not read it all, or late. A
        // command that exits without reading it fails the write (EPIPE), not this process
        // (SIGPIPE, blocked on this thread only).
        let writer = input.writeEnd
        detachThread {
            Signal.block([.brokenPipe])
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
        let timedOut = waitForExit(child, exited: exited)
        keeper.stop()
        return CommandEnding(status: status.value, timedOut: timedOut,
                             stopped: children.withLock { $0.killed.contains(child) })
    }

    /// Waits for `exited`. Past `timeout`, sends SIGTERM to the command's process group,
    /// and SIGKILL if it has not exited `grace` later; returns the timeout it ran past.
    private func waitForExit(_ child: ChildProcess, exited: DispatchSemaphore) -> Duration? {
        guard let timeout else {
            exited.wait()
            return nil
        }
        if exited.wait(timeout: Self.deadline(after: timeout)) == .success { return nil }
        child.sendToGroup(.terminate)
        if exited.wait(timeout: Self.deadline(after: grace)) == .timedOut {
            child.sendToGroup(.kill)
            exited.wait()
        }
        return timeout
    }

    private static func deadline(after duration: Duration) -> DispatchTime {
        .now() + .nanoseconds(Int(clamping: duration.nanoseconds))
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
