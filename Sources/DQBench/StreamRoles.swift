import DurableQueue
import FoundationEssentials

/// The stream roles of `dq bench` (S1, S2): a publisher and a group's subscriber.
extension RoleRunner {
    static func stream(_ spec: RoleSpec) throws -> DurableQueue.Stream {
        let durability = Durability(rawValue: spec.sync) ?? .normal
        let options = StoreOptions(durability: durability, writerLock: spec.writerLock)
        return try Store.open(spec.db, options: options).stream("bench")
    }

    /// Publishes `count` entries one per transaction, paced at `rate` per second when
    /// given, each beginning with its monotonic send time; then the stop marker.
    static func publish(_ spec: RoleSpec) throws {
        let stream = try stream(spec)
        try sendStamped(spec) { try stream.publish($0) }
    }

    /// One subscriber of group `spec.queue` (made before the barrier, from the last
    /// entry): blocking gets until the stop marker; each sample is receive time minus
    /// send time.
    static func subscribe(_ spec: RoleSpec) throws {
        let group = try stream(spec).group(spec.queue)
        try receiveStamped { try group.get(timeout: .seconds(60)).first?.body }
    }
}
