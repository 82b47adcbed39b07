@preconcurrency import Glibc
import Synchronization

/// SIGINT / SIGTERM as a flag that long-running commands check between messages, so a
/// message already taken from the queue is always printed before the process exits.
enum StopSignal {
    private static let received = Atomic<Int32>(0)

    /// Replaces the default (terminate at once) handling of SIGINT and SIGTERM, and
    /// unblocks them: a parent may have started us with them blocked.
    static func install() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                StopSignal.received.store(number, ordering: .relaxed)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
    }

    /// The signal received, or `nil` if none yet.
    static var pending: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }
}
