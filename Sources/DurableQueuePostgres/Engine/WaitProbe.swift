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
    private let running = Mutex<Running>(Running())

    /// The current connection's repeated probe, and where its probe stands. All but
    /// `task` change only on the connection's event loop.
    private struct Running {
        var task: RepeatedTask?
        var connection: ObjectIdentifier?
        /// When the probe in flight was sent (monotonic ns; 0: none in flight).
        var sentAt: UInt64 = 0
        /// Since when the probe has waited for its turn (0: it does not).
        var wantedSince: UInt64 = 0
        /// Whether a retry for the turn is scheduled.
        var retrying = false
    }

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
            running = Running(task: task, connection: ObjectIdentifier(connection))
        }
    }

    /// Stops probing on `connection` (it is gone), unless a later one has taken over.
    func stop(on connection: PostgresConnection) {
        running.withLock { running in
            guard running.connection == ObjectIdentifier(connection) else { return }
            running.task?.cancel()
            running = Running()
        }
    }

    private enum Step { case send, inFlight, stalled, idle }

    private func tick(on connection: PostgresConnection, turn: SharedTurn, found: @escaping @Sendable (String) -> Void) {
        let waited = queues.withLock { Array($0.keys) }
        let now = SystemClock.monotonicNanoseconds()
        let step = running.withLock { running -> Step in
            guard running.connection == ObjectIdentifier(connection) else { return .idle }
            if running.sentAt != 0 { return now &- running.sentAt > stallLimit ? .stalled : .inFlight }
            if waited.isEmpty || connection.isClosed {
                // Nothing to probe for: callers may have the connection again.
                if running.wantedSince != 0 { turn.stopWaiting() }
                running.wantedSince = 0
                return .idle
            }
            // A caller's statement that keeps the turn past the limit counts as no answer.
            if running.wantedSince != 0 && now &- running.wantedSince > stallLimit { return .stalled }
            return .send
        }
        switch step {
        case .idle, .inFlight:
            return
        case .stalled:
            logger.notice("no answer from PostgreSQL to the wait probe: reconnecting")
            connection.close().whenComplete { _ in }
            return
        case .send:
            break
        }
        guard turn.takeForProbe() else {
            let retry = running.withLock { running -> Bool in
                if running.wantedSince == 0 { running.wantedSince = now }
                defer { running.retrying = true }
                return !running.retrying
            }
            if retry {
                connection.eventLoop.scheduleTask(in: Self.turnRetry) { [weak self] in
                    self?.running.withLock { $0.retrying = false }
                    self?.tick(on: connection, turn: turn, found: found)
                }
            }
            return
        }
        running.withLock { running in
            running.sentAt = now
            running.wantedSince = 0
        }
        let query: PostgresQuery = "SELECT q FROM dq.probe(\(holder.load(ordering: .relaxed)), \(waited)) AS q"
        connection.query(query, logger: logger).whenComplete { [weak self] result in
            turn.release()
            self?.running.withLock { $0.sentAt = 0 }
            guard case .success(let answer) = result else { return }
            for row in answer.rows {
                if let queue = try? PostgresEngine.decode(row, as: String.self) { found(queue) }
            }
        }
    }
}
