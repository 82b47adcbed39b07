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
            var flush = Self.deliveriesQuery(state.deliveries).map { [$0] } ?? []
            guard !state.pending.isEmpty else { return (true, flush) }
            let queues = Array(state.pending.keys)
            let added = queues.map { state.pending[$0]!.added }
            let removed = queues.map { state.pending[$0]!.removed }
            // In the order dq.publish_one counts its groups, so the two never wait for
            // each other's rows in opposite orders.
            flush.append("""
                SELECT dq.count_traffic(q, a, r) FROM unnest(\(queues), \(added), \(removed)) AS u(q, a, r)
                ORDER BY hashtext(q), q
                """)
            return (true, flush)
        }
    }

    /// Keeps delivery counts for the next write (the next `countNow` that writes, or
    /// `deliveriesFlush`).
    func note(_ queue: String, deliveries: QueueDeliveries) {
        state.withLock { state in
            state.deliveries[queue] = state.deliveries[queue].map { $0.adding(deliveries) } ?? deliveries
        }
    }

    /// The statement that writes the delivery counts kept so far (and forgets them), if any.
    func deliveriesFlush() -> PostgresQuery? {
        state.withLock { state in
            defer { state.deliveries = [:] }
            return Self.deliveriesQuery(state.deliveries)
        }
    }

    /// One statement that adds each queue's `counts` to its row of `dq.deliveries`; `nil`
    /// for none. The buckets travel as one flat array, a queue's after another.
    static func deliveriesQuery(_ counts: [String: QueueDeliveries]) -> PostgresQuery? {
        guard !counts.isEmpty else { return nil }
        let queues = Array(counts.keys)
        let redelivered = queues.map { Int64(clamping: counts[$0]!.redelivered) }
        let waited = queues.map { Int64(clamping: counts[$0]!.waitMicroseconds) }
        let waits = queues.flatMap { counts[$0]!.waits.map { Int64(clamping: $0) } }
        let width = Int64(QueueDeliveries.waitBounds.count + 1)
        return """
            SELECT dq.count_deliveries(q[i], r[i], w[i], b[(i - 1) * \(width) + 1 : i * \(width)])
            FROM (SELECT \(queues)::text[] AS q, \(redelivered)::bigint[] AS r, \(waited)::bigint[] AS w, \(waits)::bigint[] AS b) a,
                 generate_series(1, \(Int64(queues.count))) AS i
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
