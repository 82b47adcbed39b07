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
        var random = RandomBodies()
        var pool = (0..<256).map { _ in Data(random.take()) }
        barrier()
        let start = BenchClock.now()
        let interval = spec.rate.map { UInt64(1e9 / $0) }
        for index in 0..<spec.count {
            if let interval { BenchClock.sleep(until: start + UInt64(index) * interval) }
            var stamp = BenchClock.now().littleEndian
            withUnsafeBytes(of: &stamp) { pool[index & 255].replaceSubrange(0..<8, with: $0) }
            try stream.publish(pool[index & 255])
        }
        if spec.rate != nil { try stream.publish(stopMarker) }
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    /// One subscriber of group `spec.queue` (made before the barrier, from the last
    /// entry): blocking gets until the stop marker; each sample is receive time minus
    /// send time.
    static func subscribe(_ spec: RoleSpec) throws {
        let group = try stream(spec).group(spec.queue)
        barrier()
        let start = BenchClock.now()
        var samples: [UInt64] = []
        samples.reserveCapacity(spec.count)
        while true {
            guard let entry = try group.get(timeout: .seconds(60)).first else {
                throw RoleFailure(description: "no entry for 60 s")
            }
            let now = BenchClock.now()
            if entry.body == stopMarker { break }
            let sent = entry.body.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            samples.append(now > sent ? (now - sent) / 1_000 : 0)
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: samples.count, samples: samples))
    }
}
