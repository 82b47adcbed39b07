/// floor-W5 on PostgreSQL: a LISTEN/NOTIFY ping-pong through two tables, each process on
/// its own connection. A side inserts its message and notifies the other side's channel
/// in one statement; the other side, woken by the notification, takes the row with
/// `DELETE … RETURNING` and replies the same way.
struct PostgresFloorRoundTrip {
    let requests, replies: RawPostgresQueue
    let bell: NotificationBell

    /// The tables, made by the parent before either side starts.
    static let tables = (request: "request", reply: "reply")

    init(_ spec: RoleSpec, answering: Bool) throws {
        requests = try RawPostgresQueue(address: spec.db, sync: spec.sync, table: Self.tables.request)
        // One connection per process: both tables are reached through the requests' one.
        replies = try RawPostgresQueue(connection: requests.connection, table: Self.tables.reply)
        bell = try NotificationBell(answering ? Self.tables.request : Self.tables.reply, on: requests.connection)
    }

    /// Sleeps on the bell until `queue` has a row, and takes it.
    func take(_ queue: RawPostgresQueue) throws -> [UInt8] {
        while true {
            bell.wait()
            if let body = try queue.get() { return body }
        }
    }
}

extension RoleRunner {
    static func postgresFloorPing(_ spec: RoleSpec) throws {
        let floor = try PostgresFloorRoundTrip(spec, answering: false)
        let body = [UInt8](repeating: 0x2A, count: 16)
        try timedRoundTrips(spec) {
            try floor.requests.put(body, notifying: PostgresFloorRoundTrip.tables.request)
            _ = try floor.take(floor.replies)
        }
    }

    static func postgresFloorPong(_ spec: RoleSpec) throws {
        let floor = try PostgresFloorRoundTrip(spec, answering: true)
        try answering(spec) {
            let request = try floor.take(floor.requests)
            try floor.replies.put(request, notifying: PostgresFloorRoundTrip.tables.reply)
        }
    }
}
