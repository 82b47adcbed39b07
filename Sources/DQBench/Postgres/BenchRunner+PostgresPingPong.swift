extension BenchRunner {
    /// W5 on PostgreSQL: dq's round trips against a raw LISTEN/NOTIFY ping-pong on the
    /// same server (`PostgresFloorRoundTrip`).
    func postgresPingPong() throws -> [BenchResult] {
        let count = sizes.roundTrips
        progress("floor-W5 raw PostgreSQL LISTEN/NOTIFY ping-pong")
        let floorDB = try freshStore("floor-W5")
        // Both tables exist before the two processes connect.
        do {
            let tables = PostgresFloorRoundTrip.tables
            let request = try RawPostgresQueue(address: floorDB, sync: sync, table: tables.request)
            _ = try RawPostgresQueue(connection: request.connection, table: tables.reply)
        }
        let floor = LatencySummary(microseconds: try roles([spec(.floorPing, floorDB, count: count),
                                                            spec(.floorPong, floorDB, count: count)])[0].samples)
        let latency = try dqPingPong()
        return [result("floor-W5", "raw PostgreSQL LISTEN/NOTIFY round trip", value: floor.p50, unit: "us", n: count, latency: floor),
                result("W5", Workload.w5.title, value: latency.p50, unit: "us", n: count, latency: latency, floor: floor.p50)]
    }
}
