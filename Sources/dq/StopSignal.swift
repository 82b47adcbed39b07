import ArgumentParser
import DQSystem
import DurableQueue
import Synchronization

/// SIGINT / SIGTERM as a flag plus a `WaitInterrupt`: a blocked `get` wakes at once,
/// and a message already taken from the queue is always printed before the exit.
enum StopSignal {
    private static let received = Atomic<Int32>(0)
    /// The interrupt's write end, for the handler (only `write` runs there).
    private static let wakeDescriptor = Atomic<Int32>(-1)

    /// Replaces the default (terminate at once) handling of SIGINT and SIGTERM, and
    /// unblocks them: a parent may have started us with them blocked.
    private static func install(waking interrupt: WaitInterrupt) {
        wakeDescriptor.store(interrupt.signalDescriptor, ordering: .sequentiallyConsistent)
        Signal.unblock([.interrupt, .terminate])
        Signal.handle([.interrupt, .terminate], restartingCalls: false) { number in
            StopSignal.received.store(number, ordering: .relaxed)
            var byte: UInt8 = 1
            let wake = FileDescriptor(rawValue: StopSignal.wakeDescriptor.load(ordering: .relaxed))
            _ = withUnsafeBytes(of: &byte) { try? wake.write($0) }
        }
    }

    /// A new interrupt that SIGINT and SIGTERM wake, installed as `install` does: what a
    /// command that waits passes to its wait.
    static func interrupt() throws -> WaitInterrupt {
        let interrupt = try WaitInterrupt()
        install(waking: interrupt)
        return interrupt
    }

    /// How a wait that ended with nothing ends dq: 128 + the signal's number when a stop
    /// signal ended it, else 1 (it timed out).
    static var nothingCame: ExitCode { ExitCode(pending.map { 128 + $0 } ?? 1) }

    /// The signal received, or `nil` if none yet.
    static var pending: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }
}
