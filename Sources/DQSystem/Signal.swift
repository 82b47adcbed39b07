@preconcurrency import Glibc

/// A signal number, with Swift names for the signals dq sends and handles, and the
/// calls that set how this process takes them: `sigaction(2)`, `signal(2)` and
/// `pthread_sigmask(3)`.
///
/// For example:
///
/// ```swift
/// Signal.handle([.interrupt, .terminate], restartingCalls: false) { number in ... }
/// ```
public struct Signal: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// SIGINT
    public static let interrupt = Signal(rawValue: SIGINT)
    /// SIGTERM
    public static let terminate = Signal(rawValue: SIGTERM)
    /// SIGKILL
    public static let kill = Signal(rawValue: SIGKILL)
    /// SIGPIPE
    public static let brokenPipe = Signal(rawValue: SIGPIPE)

    /// The signal's name as `kill -l` prints it with the prefix, such as `SIGKILL`;
    /// `SIG` and the number for one without a name here (a real-time signal).
    public var name: String {
        let names: [Int32: String] = [
            SIGHUP: "HUP", SIGINT: "INT", SIGQUIT: "QUIT", SIGILL: "ILL", SIGTRAP: "TRAP", SIGABRT: "ABRT",
            SIGBUS: "BUS", SIGFPE: "FPE", SIGKILL: "KILL", SIGUSR1: "USR1", SIGSEGV: "SEGV", SIGUSR2: "USR2",
            SIGPIPE: "PIPE", SIGALRM: "ALRM", SIGTERM: "TERM", SIGSTKFLT: "STKFLT", SIGCHLD: "CHLD",
            SIGCONT: "CONT", SIGSTOP: "STOP", SIGTSTP: "TSTP", SIGTTIN: "TTIN", SIGTTOU: "TTOU", SIGURG: "URG",
            SIGXCPU: "XCPU", SIGXFSZ: "XFSZ", SIGVTALRM: "VTALRM", SIGPROF: "PROF", SIGWINCH: "WINCH",
            SIGIO: "IO", SIGPWR: "PWR", SIGSYS: "SYS",
        ]
        return "SIG" + (names[rawValue] ?? String(rawValue))
    }

    /// A signal handler: a C function (it captures nothing) given the signal number. It
    /// runs between any two instructions of the process, so it may only touch atomics
    /// and make async-signal-safe calls (`write`, `kill`).
    public typealias Handler = @convention(c) (Int32) -> Void

    /// `sigaction(2)`: `handler` runs when any of `signals` arrives, with no other signal
    /// blocked meanwhile. With `restartingCalls` (`SA_RESTART`), a system call it
    /// interrupts resumes; otherwise it fails with EINTR.
    public static func handle(_ signals: [Signal], restartingCalls: Bool, with handler: Handler) {
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = restartingCalls ? SA_RESTART : 0
            sigaction(signal.rawValue, &action, nil)
        }
    }

    /// `signal(signal, SIG_IGN)`: the signal is discarded from now on (and in programs
    /// this process executes, unless they are spawned with clean signals).
    public static func ignore(_ signal: Signal) {
        _ = Glibc.signal(signal.rawValue, SIG_IGN)
    }

    /// `pthread_sigmask(SIG_BLOCK)`: the calling thread blocks `signals` (a SIGPIPE its
    /// own write raises then stays pending on it, and the write fails with EPIPE).
    public static func block(_ signals: [Signal]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal.rawValue) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// `pthread_sigmask(SIG_UNBLOCK)`: the calling thread no longer blocks `signals`
    /// (a parent may have started this process with them blocked).
    public static func unblock(_ signals: [Signal]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal.rawValue) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// `kill(2)`: sends this signal to the process `process`, or with a negative
    /// number, to every process in the group `-process`. Safe in a signal handler.
    ///
    /// - Returns: whether it was sent (`false`: no such process, or not permitted).
    @discardableResult
    public func send(to process: Int32) -> Bool {
        Glibc.kill(process, rawValue) == 0
    }
}
