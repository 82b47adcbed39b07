import FoundationEssentials

/// How a queue's deliveries went, as counted by every process that uses the store since
/// the counters started (statistics, not data, as `QueueTraffic`): how many were
/// redeliveries, and how long messages waited from their put to their first delivery.
///
/// For example:
///
/// ```swift
/// let deliveries = store.deliveries(ofQueue: "jobs")
/// print(deliveries.redelivered, deliveries.firstDeliveries)
/// ```
public struct QueueDeliveries: Sendable, Hashable {
    /// The upper bounds of the wait histogram's buckets, in seconds; one more bucket
    /// after them holds the longer waits.
    public static let waitBounds: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600]

    /// Deliveries of a message delivered before (its lease ran out, it was nacked, or
    /// its holder died).
    public let redelivered: UInt64
    /// First deliveries per wait bucket (not cumulative): `waits[i]` waited at most
    /// `waitBounds[i]` and more than the bound before it; the last, longer than all. A
    /// message put with a delay counts its delay.
    public let waits: [UInt64]
    /// The sum of the first deliveries' waits, in microseconds.
    public let waitMicroseconds: UInt64

    /// First deliveries counted.
    public var firstDeliveries: UInt64 { waits.reduce(0, &+) }

    package init(redelivered: UInt64, waits: [UInt64], waitMicroseconds: UInt64) {
        self.redelivered = redelivered
        self.waits = waits.count == Self.waitBounds.count + 1 ? waits : Array(repeating: 0, count: Self.waitBounds.count + 1)
        self.waitMicroseconds = waitMicroseconds
    }

    /// Nothing counted.
    package static let none = QueueDeliveries(redelivered: 0, waits: [], waitMicroseconds: 0)

    /// The counts of one batch of deliveries: each delivery's attempt (1 for a first
    /// delivery) and how long (µs) its message waited since its put.
    package init(deliveries: some Sequence<(attempt: Int, waited: Int64)>) {
        var redelivered: UInt64 = 0
        var waits = [UInt64](repeating: 0, count: Self.waitBounds.count + 1)
        var total: UInt64 = 0
        for delivery in deliveries {
            guard let bucket = Self.bucket(attempt: delivery.attempt, waited: delivery.waited) else {
                redelivered += 1
                continue
            }
            total &+= UInt64(max(0, delivery.waited))
            waits[bucket] += 1
        }
        self.init(redelivered: redelivered, waits: waits, waitMicroseconds: total)
    }

    /// Where a delivery counts: the wait bucket of a first delivery (`attempt` 1) that
    /// waited `waited` µs, or `nil` for a redelivery.
    package static func bucket(attempt: Int, waited: Int64) -> Int? {
        guard attempt <= 1 else { return nil }
        let seconds = Double(max(0, waited)) / 1_000_000
        return waitBounds.firstIndex { seconds <= $0 } ?? waitBounds.count
    }

    /// Whether nothing is counted.
    package var isEmpty: Bool { redelivered == 0 && waitMicroseconds == 0 && firstDeliveries == 0 }

    /// These counts and `other`'s.
    package func adding(_ other: QueueDeliveries) -> QueueDeliveries {
        QueueDeliveries(redelivered: redelivered &+ other.redelivered, waits: zip(waits, other.waits).map { $0 &+ $1 },
                        waitMicroseconds: waitMicroseconds &+ other.waitMicroseconds)
    }
}

extension Store {
    /// How the deliveries of the queue called `name` went (see `QueueDeliveries`).
    ///
    /// For example:
    ///
    /// ```swift
    /// let redelivered = store.deliveries(ofQueue: "jobs").redelivered
    /// ```
    public func deliveries(ofQueue name: String) -> QueueDeliveries {
        engine.deliveries(ofQueue: name)
    }
}
