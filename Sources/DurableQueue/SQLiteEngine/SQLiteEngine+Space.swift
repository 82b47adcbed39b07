import FoundationEssentials

extension SQLiteEngine {
    /// Free space worth returning to the filesystem: at least this much, and at least a
    /// tenth of the file. So once a backlog has drained, the file ends within 1 MiB or
    /// 10% of what it holds, whatever the backlog's size.
    static let reclaimThresholdBytes: Int64 = 1 << 20
    /// Pages freed per transaction, so producers and consumers never wait long.
    static let reclaimChunkPages: Int64 = 2_000

    /// The housekeeping a reader asks for when it finds its queue empty (on a background
    /// thread, at most once a second): deletes drained lanes, then returns free space.
    func tidyUp() throws(DQError) {
        _ = try drainedLanes.sweep(self)
        _ = try reclaimSpace()
    }

    /// `Store.reclaimSpace(budget:)`: incremental vacuum in short transactions (other
    /// processes keep working in between), then a `TRUNCATE` checkpoint that empties the
    /// write-ahead log, once at least 1 MiB and a tenth of the file are free.
    @discardableResult
    func reclaimSpace(budget: Int64? = nil) throws(DQError) -> Int64 {
        var freed: Int64 = 0
        while true {
            let (pages, free, pageSize) = try read { try Self.pages($0) }
            let worthIt = free * pageSize >= Self.reclaimThresholdBytes && free * 10 >= pages
            if !worthIt && freed == 0 { return 0 }
            if !worthIt || free == 0 || (budget.map { freed >= $0 } ?? false) { break }
            let chunk = min(Self.reclaimChunkPages, free, budget.map { $0 - freed } ?? Int64.max)
            try write { connection in try connection.execute("PRAGMA incremental_vacuum(\(chunk))") }
            freed += chunk
        }
        try emptyLog()
        logger.info("returned free pages to the filesystem", metadata: ["pages": "\(freed)", "path": "\(path)"])
        return freed
    }

    /// The file's pages: how many, how many of them are free, and their size in bytes.
    static func pages(_ connection: Connection) throws -> (count: Int64, free: Int64, size: Int64) {
        (try connection.scalarInt("PRAGMA page_count") ?? 0, try connection.scalarInt("PRAGMA freelist_count") ?? 0,
         try connection.scalarInt("PRAGMA page_size") ?? 4_096)
    }

    /// Copies the whole write-ahead log into the database and truncates it to nothing.
    func emptyLog() throws(DQError) {
        try withConnection { connection in
            // TRUNCATE holds SQLite's write lock while it waits for readers: give up soon
            // rather than hold every writer up (it is only housekeeping).
            try ContendedWrite.limiting(connection, to: .milliseconds(200)) {
                try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
    }
}
