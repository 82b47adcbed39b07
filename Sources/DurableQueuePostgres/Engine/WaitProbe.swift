import DQSystem
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The safety re-check of this process's queue readers on PostgreSQL: once a second, the
/// listening connection itself (on its event loop, no reader woken) asks the server which
/// of the queues waited on hold a deliverable message, after returning dead holders'
/// leases (`dq.probe`), and rings those queues as a notification would. A reader woken
/// this way looks and takes; the others sleep on. An answer that has not come back within
/// the busy timeout closes the connection, which wakes every reader to look and reconnect.
/// The probe goes out only in its turn on the connection (`SharedTurn`), never behind a
/// caller's statement; while a caller has it, the probe tries again every few milliseconds.
final class WaitProbe: Sendable {
    static let interval: TimeAmount = .seconds(1)
    /// How soon a probe that found the connection lent tries again.
    static let turnRetry: TimeAmount = .milliseconds(2)
    private let logger: Logger
    private let stallLimit: UInt64
    /// The queues waited on, with their number of readers.
    private let queues = Mutex<[String: Int]>([:])
    /// This process's lease-holder id (0: none yet), for the sweep.
    let holder = Atomic<Int32>(0)
    /// The current connection's repeated probe, and when the probe in flight was sent
    /// (monotonic ns; 0: none in flight).
    private let running = Mutex<(task: RepeatedTask?, sentAt: UInt64)>((nil, 0))

    init(busyTimeout: Duration, logger: Logger) {
        stallLimit = UInt64(max(busyTimeout, .seconds(1)) / .nanoseconds(1))
        self.logger = logger
    }

    /// Counts a reader of `queue` in, until `remove`.
    func add(_ queue: String) {
        queues.withLock { $0[queue, default: 0] += 1 }
    }

    func remove(_ queue: String) {
        queues.withLock { queues in
            if let count = queues[queue], count > 1 { queues[queue] = count - 1 } else { queues[queue] = nil }
        }
    }

    /// Probes on `connection` from now on (no longer on an earlier one); `found` is called
    /// on its event loop with each queue found to hold a deliverable message.
    func start(on connection: PostgresConnection, turn: SharedTurn, found: @escaping @Sendable (String) -> Void) {
        let task = connection.eventLoop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { [weak self] _ in
            self?.tick(on: connection, turn: turn, found: found)
        }
        running.withLock { running in
            running.task?.cancel()
            running = (task, 0)
        }
    }

    /// Stops probing (the connection is gone).
    func stop() {
        running.withLock { running in
            running.task?.cancel()
            running = (nil, 0)
        }
    }

    private enum Step { case send, inFlight, stalled }

    private func tick(on connection: PostgresConnection, turn: SharedTurn, found: @escaping @Sendable (String) -> Void) {
        let waited = queues.withLock { Array($0.keys) }
        guard !waited.isEmpty, !connection.isClosed else { return }
        let now = SystemClock.monotonicNanoseconds()
        let step = running.withLock { running -> Step in
            if running.sentAt == 0 {
                running.sentAt = now
                return .send
            }
            return now &- running.sentAt > stallLimit ? .stalled : .inFlight
        }
        switch step {
        case .inFlight:
            return
        case .stalled:
            logger.notice("no answer from PostgreSQL to the wait probe: reconnecting")
            connection.close().whenComplete { _ in }
            return
        case .send:
            guard turn.takeForProbe() else {
                running.withLock { $0.sentAt = 0 }
                connection.eventLoop.scheduleTask(in: Self.turnRetry) { [weak self] in
                    self?.tick(on: connection, turn: turn, found: found)
                }
                return
            }
        }
        let query: PostgresQuery = "SELECT q FROM dq.probe(\(holder.load(ordering: .relaxed)), \(waited)) AS q"
        connection.query(query, logger: logger).whenComplete { [weak self] result in
            turn.release()
            self?.running.withLock { $0.sentAt = 0 }
            guard case .success(let answer) = result else { return }
            for row in answer.rows {
                if let queue = try? row.decode(String.self) { found(queue) }
            }
        }
    }
}
