import DurableQueue
@preconcurrency import Glibc
import Synchronization

/// SIGINT / SIGTERM as a flag plus a `WaitInterrupt`: a blocked `get` wakes at once,
/// and a message already taken from the queue is always printed before the exit.
enum StopSignal {
    private static let received = Atomic<Int32>(0)
    /// The interrupt's write end, for the handler (only `write` runs there).
    private static let wakeDescriptor = Atomic<Int32>(-1)

    /// Replaces the default (terminate at once) handling of SIGINT and SIGTERM, and
    /// unblocks them: a parent may have started us with them blocked.
    static func install(waking interrupt: WaitInterrupt) {
        wakeDescriptor.store(interrupt.signalDescriptor, ordering: .sequentiallyConsistent)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                StopSignal.received.store(number, ordering: .relaxed)
                var byte: UInt8 = 1
                _ = write(StopSignal.wakeDescriptor.load(ordering: .relaxed), &byte, 1)
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
