import FoundationEssentials

/// One queue as an operator's view shows it: its counts, and how many messages it has
/// taken in and given out since the counters started (rates are their differences
/// over time).
public struct QueueOverview: Sendable, Hashable {
    /// The queue's counts.
    public let stats: QueueStats
    /// Its traffic counters (statistics, not data: they may start over).
    public let traffic: QueueTraffic
    /// Its redeliveries and first deliveries' waits (statistics, as `traffic`).
    public let deliveries: QueueDeliveries
}

/// One stream as an operator's view shows it.
public struct StreamOverview: Sendable, Hashable {
    /// The stream's log.
    public let status: StreamStatus
    /// Where each of its groups is.
    public let groups: [StreamGroupStatus]
}

/// What an operator's view of the store shows at one instant (`Store.overview()`):
/// the queues users named (not the hidden ones of pipes and stream groups), streams
/// with their groups, schedules, and the named locks held.
public struct StoreOverview: Sendable, Equatable {
    /// When it was read.
    public let readAt: Date
    /// Every queue that holds messages or dead letters, by name.
    public let queues: [QueueOverview]
    /// Every stream, by name.
    public let streams: [StreamOverview]
    /// Every schedule, by name.
    public let schedules: [Schedule]
    /// The named locks held now, by name.
    public let locks: [HeldLock]
}

extension Store {
    /// The queues (with their traffic counters), streams (with their groups),
    /// schedules and held locks, for a dashboard or a metrics scrape.
    ///
    /// Several reads, each consistent on its own; other processes keep working.
    ///
    /// For example:
    ///
    /// ```swift
    /// for queue in try store.overview().queues {
    ///     print(queue.stats.name, queue.stats.ready, queue.traffic.added)
    /// }
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be read.
    public func overview() throws(DQError) -> StoreOverview {
        let readAt = Date()
        let queues = try stats().queues.filter { !Queue.isHidden($0.name) }
            .map { QueueOverview(stats: $0, traffic: traffic(ofQueue: $0.name), deliveries: deliveries(ofQueue: $0.name)) }
        var streams: [StreamOverview] = []
        for name in try self.streams() {
            let stream = try self.stream(name)
            streams.append(StreamOverview(status: try stream.status(), groups: try stream.groups()))
        }
        return StoreOverview(readAt: readAt, queues: queues, streams: streams, schedules: try schedules(),
                             locks: try heldLocks())
    }
}
