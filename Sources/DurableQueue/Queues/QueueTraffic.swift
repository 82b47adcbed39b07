/// How many messages a queue has taken in and given out, as counted by every process
/// on this machine since the store's traffic file was made (statistics, not data: they
/// are kept outside the database and may start over). Subtract two readings for rates.
/// Purges, dead letters and their retries are not counted, so `added - removed` is not
/// a backlog; `Store.stats()` has that.
///
/// For example:
///
/// ```swift
/// let before = queue.traffic()
/// try await Task.sleep(for: .seconds(1))
/// let perSecond = queue.traffic().added - before.added
/// ```
public struct QueueTraffic: Sendable, Hashable {
    /// Messages stored by puts (duplicates of a dedup key not counted).
    public let added: UInt64
    /// Messages removed for good by gets and acks.
    public let removed: UInt64

    package init(added: UInt64, removed: UInt64) {
        self.added = added
        self.removed = removed
    }
}

extension Store {
    /// How many messages the queue called `name` has taken in and given out (see
    /// `QueueTraffic`). Any name may be asked, including the internal queues of pipes.
    ///
    /// For example:
    ///
    /// ```swift
    /// let traffic = store.traffic(ofQueue: "jobs")
    /// print("\(traffic.added) in, \(traffic.removed) out")
    /// ```
    public func traffic(ofQueue name: String) -> QueueTraffic {
        engine.traffic(ofQueue: name)
    }
}

extension Queue {
    /// How many messages this queue has taken in and given out, counted by every
    /// process using the store (see `QueueTraffic`).
    ///
    /// For example:
    ///
    /// ```swift
    /// let out = try store.queue("jobs").traffic().removed
    /// ```
    public func traffic() -> QueueTraffic {
        store.traffic(ofQueue: name)
    }
}
