import CSQLite
import DQSystem

/// W8's floor: the `sqlite3` command-line shell, one process per statement, doing what
/// one `dq put` or `dq get --no-wait` does to a store of the same shape: append one row
/// to the queue's lane, or delete its oldest ready row and print the body, with the same
/// `synchronous` setting.
struct SQLiteShellFloor {
    let shell: String
    let db: String
    /// The lane's positions in `messages`.
    let first: Int64
    let last: Int64
    let synchronous: String
    /// Close without checkpointing, as dq does (`.dbconfig no_ckpt_on_close on`); the
    /// shell has no way to empty a long log on close as dq does, so the log grows to
    /// SQLite's auto-checkpoint size (1,000 pages) and every open reads it. Without it,
    /// the shell's close checkpoints, fsyncs and deletes the log every time, as `sqlite3`
    /// does by default.
    let keepingLog: Bool

    /// The floor for the dq store at `db`, whose `queue` already has a lane (a message
    /// at priority 0); nil when no `sqlite3` is on `PATH`.
    init?(db: String, queue: String, synchronous: String, keepingLog: Bool) throws {
        guard let shell = Self.findShell() else { return nil }
        self.shell = shell
        self.db = db
        self.synchronous = synchronous
        self.keepingLog = keepingLog
        let lane = try Self.laneNumber(db: db, queue: queue)
        first = lane << 39
        last = first | ((1 << 39) - 1)
    }

    /// `sqlite3 DB 'PRAGMA synchronous=…; INSERT …'` for one message.
    func insert(body: [UInt8], enqueuedAt microseconds: Int64) -> [String] {
        let hex = Hex.lowercase(body)
        return command("""
            INSERT INTO messages (position, id, enqueued_at, body)
            SELECT coalesce(max(position) + 1, \(first)), \(microseconds * 1_000), \(microseconds), X'\(hex)'
            FROM messages WHERE position BETWEEN \(first) AND \(last)
            """)
    }

    /// `sqlite3 DB 'PRAGMA synchronous=…; DELETE … RETURNING body'`: the oldest ready row.
    func deleteOldest() -> [String] {
        command("""
            DELETE FROM messages WHERE position = (SELECT position FROM messages
                WHERE position BETWEEN \(first) AND \(last) AND lease_until IS NULL ORDER BY position LIMIT 1)
            RETURNING body
            """)
    }

    private func command(_ statement: String) -> [String] {
        [shell] + (keepingLog ? ["-cmd", ".dbconfig no_ckpt_on_close on"] : []) + [db, "PRAGMA synchronous = \(synchronous); " + statement]
    }

    /// The first executable `sqlite3` on `PATH`.
    static func findShell() -> String? {
        let path = Environment.value("PATH") ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = String(directory) + "/sqlite3"
            if FileSystem.isExecutable(candidate) { return candidate }
        }
        return nil
    }

    /// The number of `queue`'s priority-0 lane, read from the store's `lanes` table.
    private static func laneNumber(db path: String, queue: String) throws -> Int64 {
        var handle: OpaquePointer?
        defer { sqlite3_close_v2(handle) }
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil) == SQLITE_OK,
              sqlite3_prepare_v2(handle, "SELECT lane FROM lanes WHERE queue = ?1 AND priority = 0", -1, &statement, nil) == SQLITE_OK,
              sqlite3_bind_text(statement, 1, queue, -1, unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)) == SQLITE_OK,
              sqlite3_step(statement) == SQLITE_ROW
        else {
            throw BenchError(description: "W8 floor: no lane for queue \(queue) in \(path)")
        }
        return sqlite3_column_int64(statement, 0)
    }
}
