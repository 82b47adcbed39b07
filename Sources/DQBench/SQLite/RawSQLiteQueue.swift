import CSQLite
import DQSystem

/// The floor: the least SQLite work a durable queue can do, written straight on the C
/// API with no library in between. One table, prepared statements, `BEGIN IMMEDIATE`
/// per transaction, the same `journal_mode=WAL` and `synchronous` setting as dq.
///
/// Crashes (precondition) on any SQLite error: it only runs inside `dq bench`, on a
/// fresh file of its own. Locked out by another process's writer, it retries every few
/// microseconds.
final class RawSQLiteQueue: FloorQueue {
    private let db: OpaquePointer
    private let begin: OpaquePointer
    private let commit: OpaquePointer
    private let insert: OpaquePointer
    private let delete: OpaquePointer
    private let exists: OpaquePointer
    private let after: OpaquePointer

    /// Opens (creating if needed) `table` in the file at `path`.
    init(path: String, synchronous: String, table: String = "q") {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        precondition(rc == SQLITE_OK, "floor: cannot open \(path)")
        db = handle!
        // Retries every 2 µs for the first 20 tries, then every 20 µs, up to ~10 s: a
        // floor should not sleep in SQLite's default handler (1 ms and more per try).
        sqlite3_busy_handler(db, { _, count in
            if count < 20 {
                let until = BenchClock.now() + 2_000
                while BenchClock.now() < until {}
            } else {
                CurrentProcess.sleep(microseconds: 20)
            }
            return count < 200_000 ? 1 : 0
        }, nil)
        // Several floor processes may open a new file at once (floor-S2's publisher and
        // readers): the journal mode is retried while another holds the file, and the table
        // is made in an immediate transaction (a deferred one that turns into a write gets
        // SQLITE_BUSY at once, without the busy handler).
        Self.exec(db, "PRAGMA journal_mode = WAL", retryingWhileBusy: true)
        Self.exec(db, """
            PRAGMA synchronous = \(synchronous);
            BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS \(table) (id INTEGER PRIMARY KEY, body BLOB NOT NULL); COMMIT;
            """)
        begin = Self.prepare(db, "BEGIN IMMEDIATE")
        commit = Self.prepare(db, "COMMIT")
        insert = Self.prepare(db, "INSERT INTO \(table) (body) VALUES (?1)")
        delete = Self.prepare(db, "DELETE FROM \(table) WHERE id = (SELECT id FROM \(table) ORDER BY id LIMIT 1) RETURNING body")
        exists = Self.prepare(db, "SELECT EXISTS (SELECT 1 FROM \(table))")
        after = Self.prepare(db, "SELECT id, body FROM \(table) WHERE id > ?1 ORDER BY id")
    }

    deinit {
        for statement in [begin, commit, insert, delete, exists, after] { sqlite3_finalize(statement) }
        sqlite3_close_v2(db)
    }

    /// Inserts `bodies` in one transaction.
    func put(_ bodies: [[UInt8]]) {
        step(begin)
        for body in bodies {
            body.withUnsafeBytes { bytes in
                _ = sqlite3_bind_blob(insert, 1, bytes.baseAddress, Int32(bytes.count), nil)
            }
            step(insert)
        }
        step(commit)
    }

    /// Whether the table has a row: one read, no write lock.
    func isEmpty() -> Bool {
        precondition(sqlite3_step(exists) == SQLITE_ROW, "floor: \(String(cString: sqlite3_errmsg(db)))")
        let empty = sqlite3_column_int(exists, 0) == 0
        sqlite3_reset(exists)
        return empty
    }

    /// Deletes and returns the oldest row's body in one transaction; nil if empty.
    func get() -> [UInt8]? {
        step(begin)
        var body: [UInt8]?
        if sqlite3_step(delete) == SQLITE_ROW {
            let count = Int(sqlite3_column_bytes(delete, 0))
            let bytes = sqlite3_column_blob(delete, 0)
            body = bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
            while sqlite3_step(delete) == SQLITE_ROW {}
        }
        sqlite3_reset(delete)
        step(commit)
        return body
    }

    /// The rows after `id`, oldest first: one read, no write lock.
    func rows(after id: Int64) -> [(id: Int64, body: [UInt8])] {
        sqlite3_bind_int64(after, 1, id)
        var rows: [(id: Int64, body: [UInt8])] = []
        while sqlite3_step(after) == SQLITE_ROW {
            let count = Int(sqlite3_column_bytes(after, 1))
            let bytes = sqlite3_column_blob(after, 1)
            rows.append((sqlite3_column_int64(after, 0), bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []))
        }
        sqlite3_reset(after)
        return rows
    }

    private func step(_ statement: OpaquePointer) {
        let rc = sqlite3_step(statement)
        precondition(rc == SQLITE_DONE, "floor: \(String(cString: sqlite3_errmsg(db)))")
        sqlite3_reset(statement)
    }

    /// Runs `sql`; with `retryingWhileBusy`, again every 100 µs for up to 10 s while the
    /// file is locked.
    private static func exec(_ db: OpaquePointer, _ sql: String, retryingWhileBusy: Bool = false) {
        var rc = sqlite3_exec(db, sql, nil, nil, nil)
        var tries = 0
        while retryingWhileBusy, rc & 0xFF == SQLITE_BUSY || rc & 0xFF == SQLITE_LOCKED, tries < 100_000 {
            CurrentProcess.sleep(microseconds: 100)
            tries += 1
            rc = sqlite3_exec(db, sql, nil, nil, nil)
        }
        precondition(rc == SQLITE_OK, "floor: \(String(cString: sqlite3_errmsg(db)))")
    }

    private static func prepare(_ db: OpaquePointer, _ sql: String) -> OpaquePointer {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        precondition(rc == SQLITE_OK, "floor: \(String(cString: sqlite3_errmsg(db)))")
        return statement!
    }
}
