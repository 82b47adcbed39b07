import DQSystem

extension RoleRunner {
    /// floor-W7 on PostgreSQL: the least a consumer blocked on a raw table costs, on one
    /// connection through the same client as dq: `LISTEN`, then the raw claim once a second
    /// (the safety re-check dq also makes) until the time is up, sleeping on the bell in
    /// between. CPU time from the barrier, as for W7.
    static func postgresFloorIdle(_ spec: RoleSpec) throws {
        let queue = try RawPostgresQueue(address: spec.db, sync: spec.sync, table: "idle")
        let seconds = spec.seconds ?? 10
        barrier()
        let cpu = BenchClock.cpuMicroseconds()
        let start = BenchClock.now()
        let bell = try NotificationBell("idle", on: queue.connection)
        let end = start + UInt64(seconds * 1_000_000_000)
        while true {
            if try queue.get() != nil { throw RoleFailure(description: "the idle table was not empty") }
            let now = BenchClock.now()
            if now >= end { break }
            _ = bell.wait(nanoseconds: min(end - now, 1_000_000_000))
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: 1, samples: [],
                              cpuMicroseconds: BenchClock.cpuMicroseconds() - cpu))
    }
}
