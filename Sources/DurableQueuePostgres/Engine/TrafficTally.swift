import DQSystem
import DurableQueue
import PostgresNIO
import Synchronization

/// This process's traffic counts (messages in and out per queue, for `stats` rates),
/// and its delivery counts (`QueueDeliveries`, for `/metrics`), kept here and added to
/// `dq.traffic` and `dq.deliveries` about once a second: counting in every put and
/// get costs an upsert each (a fifth of a put's time on the server). The first operation,
/// and the first after a second without one, counts in its own statement, so a one-shot
/// `dq put` is counted. Counts of the last second of a process that ends are lost: they are
/// statistics, not data.
final class TrafficTally: Sendable {
    private struct State {
        var pending: [String: (added: Int64, removed: Int64)] = [:]
        var deliveries: [String: QueueDeliveries] = [:]
        /// When counts were last written (monotonic ns; 0: never).
        var lastWrite: UInt64 = 0
    }

    private let state = Mutex(State())
    /// How long counts may wait in this process.
    static let interval: UInt64 = 1_000_000_000

    /// Whether the next operation counts in its own statement (and then does: this marks
    /// the write), with the counts kept so far to add first, if any.
    func countNow() -> (count: Bool, flush: [PostgresQuery]) {
        let now = SystemClock.monotonicNanoseconds()
        return state.withLock { state in
            guard state.lastWrite == 0 || now &- state.lastWrite >= Self.interval else { return (false, []) }
            state.lastWrite = now
            defer {
                state.pending = [:]
                state.deliveries = [:]
            }
            var flush = state.deliveries.map { Self.deliveriesQuery($0.key, $0.value) }
            guard !state.pending.isEmpty else { return (true, flush) }
            let queues = Array(state.pending.keys)
            let added = queues.map { state.pending[$0]!.added }
            let removed = queues.map { state.pending[$0]!.removed }
            flush.append("""
                SELECT dq.count_traffic(q, a, r) FROM unnest(\(queues), \(added), \(removed)) AS u(q, a, r)
                """)
            return (true, flush)
        }
    }

    /// Keeps delivery counts for the next write.
    func note(_ queue: String, deliveries: QueueDeliveries) {
        state.withLock { state in
            state.deliveries[queue] = state.deliveries[queue].map { $0.adding(deliveries) } ?? deliveries
        }
    }

    /// The statement that adds `counts` to `queue`'s row of `dq.deliveries`.
    static func deliveriesQuery(_ queue: String, _ counts: QueueDeliveries) -> PostgresQuery {
        let waits = counts.waits.map { Int64(clamping: $0) }
        return """
            SELECT dq.count_deliveries(\(queue), \(Int64(clamping: counts.redelivered)), \(Int64(clamping: counts.waitMicroseconds)), \(waits))
            """
    }

    /// Keeps counts of an operation that did not count them itself.
    func note(_ queue: String, added: Int = 0, removed: Int = 0) {
        guard added > 0 || removed > 0 else { return }
        state.withLock { state in
            state.pending[queue, default: (0, 0)].added += Int64(added)
            state.pending[queue, default: (0, 0)].removed += Int64(removed)
        }
    }
}
