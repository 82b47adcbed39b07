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
final class WaitProbe: Sendable {
    static let interval: TimeAmount = .seconds(1)
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
    func start(on connection: PostgresConnection, found: @escaping @Sendable (String) -> Void) {
        let task = connection.eventLoop.scheduleRepeatedTask(initialDelay: Self.interval, delay: Self.interval) { [weak self] _ in
            self?.tick(on: connection, found: found)
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

    private enum Turn { case send, inFlight, stalled }

    private func tick(on connection: PostgresConnection, found: @escaping @Sendable (String) -> Void) {
        let waited = queues.withLock { Array($0.keys) }
        guard !waited.isEmpty else { return }
        let now = SystemClock.monotonicNanoseconds()
        let turn = running.withLock { running -> Turn in
            if running.sentAt == 0 {
                running.sentAt = now
                return .send
            }
            return now &- running.sentAt > stallLimit ? .stalled : .inFlight
        }
        switch turn {
        case .inFlight:
            return
        case .stalled:
            logger.notice("no answer from PostgreSQL to the wait probe: reconnecting")
            connection.close().whenComplete { _ in }
            return
        case .send:
            break
        }
        let query: PostgresQuery = "SELECT q FROM dq.probe(\(holder.load(ordering: .relaxed)), \(waited)) AS q"
        connection.query(query, logger: logger).whenComplete { [weak self] result in
            self?.running.withLock { $0.sentAt = 0 }
            guard case .success(let answer) = result else { return }
            for row in answer.rows {
                if let queue = try? row.decode(String.self) { found(queue) }
            }
        }
    }
}
