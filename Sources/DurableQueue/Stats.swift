/// A queue's counts at one instant.
public struct QueueStats: Sendable, Hashable {
    public let name: String
    /// Deliverable now.
    public let ready: Int
    /// Put with a delay that has not passed yet.
    public let delayed: Int
    /// Handed out under a lease and not yet settled.
    public let leased: Int
    /// Moved aside after too many attempts.
    public internal(set) var dead: Int
    /// How long the oldest deliverable message has waited; `nil` when none is ready.
    public let oldestReadyAge: Duration?
}

/// The whole store at one instant: every queue, dict, list and counter, and the file sizes.
public struct StoreStats: Sendable, Hashable {
    public let queues: [QueueStats]
    /// Dict names and how many keys each holds.
    public let dicts: [String: Int]
    /// List names and how many values each holds.
    public let lists: [String: Int]
    /// Counter names and their values.
    public let counters: [String: Int64]
    /// Bytes of the database file, its write-ahead log and its shared-memory index.
    public let databaseBytes: Int64
    public let walBytes: Int64
    public let sharedMemoryBytes: Int64
}

extension Store {
    /// Counts for every queue that holds messages, and the store's file sizes.
    public func stats() throws(DQError) -> StoreStats {
        let now = Timestamp.now()
        let queues = try read { connection in
            let dead = try MessageTable.deadCounts(connection)
            var queues = try MessageTable.stats(connection, now: now)
            for index in queues.indices { queues[index].dead = dead[queues[index].name] ?? 0 }
            for (name, count) in dead where !queues.contains(where: { $0.name == name }) {
                queues.append(QueueStats(name: name, ready: 0, delayed: 0, leased: 0, dead: count, oldestReadyAge: nil))
            }
            return queues.sorted { $0.name < $1.name }
        }
        let (dicts, lists, counters) = try read { connection in
            (try Self.sizes(connection, "SELECT dict, count(*) FROM dict_items GROUP BY dict"),
             try Self.sizes(connection, "SELECT list, count(*) FROM list_items GROUP BY list"),
             try Self.sizes(connection, "SELECT name, value FROM counters"))
        }
        return StoreStats(
            queues: queues, dicts: dicts.mapValues { Int($0) }, lists: lists.mapValues { Int($0) }, counters: counters,
            databaseBytes: StoreLocation.fileSize(path),
            walBytes: StoreLocation.fileSize(path + "-wal"),
            sharedMemoryBytes: StoreLocation.fileSize(path + "-shm"))
    }
}

extension Store {
    private static func sizes(_ connection: Connection, _ sql: String) throws -> [String: Int64] {
        let query = try connection.cachedStatement(sql)
        defer { query.reset() }
        var sizes: [String: Int64] = [:]
        while try query.step() { sizes[query.string(at: 0) ?? ""] = query.int64(at: 1) }
        return sizes
    }

    /// `PRAGMA integrity_check`: `"ok"`, or SQLite's first problems, one per line.
    public func integrityCheck() throws(DQError) -> String {
        try withConnection { connection in
            let check = try connection.cachedStatement("PRAGMA integrity_check")
            defer { check.reset() }
            var lines: [String] = []
            while try check.step() { lines.append(check.string(at: 0) ?? "") }
            return lines.joined(separator: "\n")
        }
    }
}
