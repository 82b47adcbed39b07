import FoundationEssentials

/// Store-wide reads on SQLite: the counts of `dq stats` and the integrity check.
extension SQLiteEngine {
    func stats() throws(DQError) -> StoreStats {
        let now = Timestamp.now()
        let (queues, dicts, lists, counters, events) = try read { connection in
            (try MessageTable.stats(connection, now: now),
             try Self.sizes(connection, "SELECT dict, count(*) FROM dict_items GROUP BY dict"),
             try Self.sizes(connection, "SELECT list, count(*) FROM list_items GROUP BY list"),
             try Self.sizes(connection, "SELECT name, value FROM counters"),
             try Self.sizes(connection, "SELECT name, is_set FROM events"))
        }
        return StoreStats(
            queues: queues, dicts: dicts.mapValues { Int($0) }, lists: lists.mapValues { Int($0) }, counters: counters,
            events: events.mapValues { $0 != 0 },
            databaseBytes: StoreLocation.fileSize(path),
            walBytes: StoreLocation.fileSize(path + "-wal"),
            sharedMemoryBytes: StoreLocation.fileSize(path + "-shm"))
    }

    func stats(ofQueues queues: [String]) throws(DQError) -> [QueueStats] {
        let now = Timestamp.now()
        return try read { connection in
            try Set(queues).sorted().flatMap { try MessageTable.stats(connection, now: now, only: $0) }
        }
    }

    private static func sizes(_ connection: Connection, _ sql: String) throws -> [String: Int64] {
        let query = try connection.cachedStatement(sql)
        defer { query.reset() }
        var sizes: [String: Int64] = [:]
        while try query.step() { sizes[query.string(at: 0) ?? ""] = query.int64(at: 1) }
        return sizes
    }

    /// `PRAGMA integrity_check`: `"ok"`, or SQLite's first problems, one per line.
    func integrityCheck() throws(DQError) -> String {
        try withConnection { connection in
            let check = try connection.cachedStatement("PRAGMA integrity_check")
            defer { check.reset() }
            var lines: [String] = []
            while try check.step() { lines.append(check.string(at: 0) ?? "") }
            return lines.joined(separator: "\n")
        }
    }
}

extension SQLiteEngine: StoreEngine {
    var location: String { path }
}
