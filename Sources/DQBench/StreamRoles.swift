import DurableQueue
import FoundationEssentials

/// The stream roles of `dq bench` (S1, S2): a publisher and a group's subscriber.
extension RoleRunner {
    static func stream(_ spec: RoleSpec) throws -> DurableQueue.Stream {
        let durability = Durability(rawValue: spec.sync) ?? .normal
        let options = StoreOptions(durability: durability, writerLock: spec.writerLock)
        return try Store.open(spec.db, options: options).stream("bench")
    }

    /// Publishes `count` entries one per transaction. Paced at `rate` per second (S2),
    /// each begins with its monotonic send time and the stop marker follows; unpaced (S1),
    /// the bodies go as they are, as W1's put and its floor send them.
    static func publish(_ spec: RoleSpec) throws {
        let stream = try stream(spec)
        guard spec.rate == nil else { return try sendStamped(spec) { try stream.publish($0) } }
        try sendBodies(spec) { _ = try stream.publish($0) }
    }

    /// One subscriber of group `spec.queue` (made before the barrier, from the last
    /// entry): blocking gets until the stop marker; each sample is receive time minus
    /// send time.
    static func subscribe(_ spec: RoleSpec) throws {
        let group = try stream(spec).group(spec.queue)
        try receiveStamped { try group.get(timeout: .seconds(60)).first?.body }
    }

    /// floor-S2's publisher: S2's publisher on raw SQLite, one insert per transaction into
    /// one table, and a bell rung after each commit.
    static func floorPublish(_ spec: RoleSpec) throws {
        let log = RawSQLiteQueue(path: spec.db, synchronous: synchronous(spec), table: "log")
        let bell = RawBell(path: spec.db + ".log-bell", watching: false)
        try sendStamped(spec) { body in
            log.put([Array(body)])
            bell.ring()
        }
    }

    /// floor-S2's reader: the least any fan-out on SQLite costs a reader, with its
    /// position kept in memory: woken by the bell, it reads the rows after the last one
    /// it saw (a read transaction, no write).
    static func floorSubscribe(_ spec: RoleSpec) throws {
        let log = RawSQLiteQueue(path: spec.db, synchronous: synchronous(spec), table: "log")
        let bell = RawBell(path: spec.db + ".log-bell", watching: true)
        var last: Int64 = 0
        var pending: [[UInt8]] = []
        try receiveStamped {
            while pending.isEmpty {
                let rows = log.rows(after: last)
                if let newest = rows.last {
                    last = newest.id
                    pending = rows.map(\.body).reversed()
                } else {
                    bell.wait()
                }
            }
            return Data(pending.removeLast())
        }
    }
}
