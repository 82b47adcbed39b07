import DurableQueue

/// A floor's table of messages, on either engine: the least work a durable queue can do
/// there (`RawSQLiteQueue`, `RawPostgresQueue`).
protocol FloorQueue: AnyObject {
    /// Inserts `bodies` in one transaction.
    func put(_ bodies: [[UInt8]]) throws
    /// Deletes and returns the oldest row's body in one transaction; nil if empty.
    func get() throws -> [UInt8]?
}

/// Opens floor tables where a role's `db` says.
enum FloorQueues {
    /// `table` in the store at `db`: a PostgreSQL database for a `postgres://` address,
    /// else a SQLite file; `sync` is the role's durability (`normal` or `full`).
    static func open(_ db: String, sync: String, table: String = "q") throws -> any FloorQueue {
        if PostgresAddress.isAddress(db) { return try RawPostgresQueue(address: db, sync: sync, table: table) }
        return RawSQLiteQueue(path: db, synchronous: sync == "full" ? "FULL" : "NORMAL", table: table)
    }
}
