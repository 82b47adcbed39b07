import DQSystem
import DurableQueue

/// How one run of `dq worker`'s command ended, and what that makes of its message: exit
/// 0 in time acks it; a stop at shutdown releases it; anything else is a failed attempt,
/// described as the dead letter keeps it and the worker's stderr line says it.
struct CommandEnding {
    /// The command's wait status.
    let status: WaitStatus
    /// The `--timeout` it ran past (it was then signalled), if it did.
    let timedOut: Duration?
    /// The worker killed it as it shut down.
    let stopped: Bool

    var outcome: WorkOutcome {
        if stopped { return .stopped }
        return status.exitCode == 0 && timedOut == nil ? .done : .failed
    }

    /// The status of the reply to a request: the exit status, or 128 + the signal that
    /// ended the command (as a shell says it).
    var replyStatus: Int {
        if let code = status.exitCode { return Int(code) }
        return 128 + Int(status.signal?.rawValue ?? 0)
    }

    /// Why the attempt failed: `exit status 3`, `killed by SIGKILL`, or `timed out after
    /// 200ms (killed by SIGTERM)`, with the exit status or signal; `nil` if it did not.
    var failure: DeliveryFailure? {
        guard outcome == .failed else { return nil }
        let ended = status.exitCode.map { "exit status \($0)" } ?? "killed by \(status.signal?.name ?? "a signal")"
        let text = timedOut.map { "timed out after \(DurationText.format($0)) (\(ended))" } ?? ended
        return DeliveryFailure(text, exitStatus: status.exitCode.map(Int.init), signal: status.signal.map { Int($0.rawValue) })
    }
}

/// The lines `dq worker` prints on stderr about its messages, one per failed attempt:
///
///     dq worker: QUEUE ID: attempt N of M failed: REASON; retrying in D
///     dq worker: QUEUE ID: dead after N attempts: REASON
///
/// (the second for the attempt that sends the message to the dead letters; `1 attempt`
/// in the singular). REASON is `CommandEnding.failure`'s text. The format is documented
/// in `dq worker --help` and README: scripts may match it.
enum WorkerLine {
    static func retrying(_ message: Message, maxAttempts: Int, failure: DeliveryFailure, delay: Duration) -> String {
        "\(prefix(message))attempt \(message.attempt) of \(maxAttempts) failed: \(failure.error); retrying in \(DurationText.format(delay))"
    }

    static func dead(_ message: Message, failure: DeliveryFailure) -> String {
        "\(prefix(message))dead after \(message.attempt) attempt\(message.attempt == 1 ? "" : "s"): \(failure.error)"
    }

    private static func prefix(_ message: Message) -> String {
        "dq worker: \(message.queue) \(message.id): "
    }

    /// Writes `line` to stderr in one write, so lines of concurrent slots do not mix.
    static func print(_ line: String) {
        Output.standardError.write(Array((line.replacing("\n", with: " ") + "\n").utf8))
    }
}
