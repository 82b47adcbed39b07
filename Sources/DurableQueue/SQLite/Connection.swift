import CSQLite

/// One SQLite connection: owns the `sqlite3*` handle and a cache of prepared
/// statements keyed by SQL.
///
/// Not `Sendable`: a connection is used by one thread at a time. `ConnectionPool`
/// hands connections between threads under its lock. So no two accesses to its state
/// can overlap, and the state that every transaction reads or writes skips Swift's
/// run-time exclusivity checks (`@exclusivity(unchecked)`, about 60 instructions each).
final class Connection {
    let handle: OpaquePointer
    let path: String
    @exclusivity(unchecked) private var statements: [String: Statement] = [:]
    /// Statements of `PreparedSQL`, by slot.
    @exclusivity(unchecked) private var slotted: [Statement?] = []
    /// State that the layers above keep per connection, by its type (`attachment(_:)`):
    /// a few entries, so a list (a dictionary's first use would cost a search of every
    /// protocol conformance in the binary for `ObjectIdentifier: Hashable`, 0.2-0.3 ms).
    @exclusivity(unchecked) private var attachments: [(type: ObjectIdentifier, value: AnyObject)] = []
    /// Work to run once the open transaction has committed (`afterCommit(_:)`).
    @exclusivity(unchecked) private var onCommit: [(Connection) -> Void] = []
    /// The number of this connection's latest write (`.immediate`) transaction, counted
    /// from 1 (`writeNumber`), and of the latest one that committed.
    @exclusivity(unchecked) private(set) var writeNumber: UInt64 = 0
    @exclusivity(unchecked) private var committedWrite: UInt64 = 0
    /// The store's data version (`dataVersion()`) just after `committedWrite`'s commit.
    @exclusivity(unchecked) private var versionAfterWrite: UInt32 = 0
    /// Objects the connection's C callbacks point to, kept alive as long as it.
    private var callbackContexts: [AnyObject] = []
    /// The `PRAGMA synchronous` level last set through `setSynchronous`.
    @exclusivity(unchecked) private var synchronous: String?

    /// How a connection only reads a database in WAL mode, creating no file.
    enum ReadOnlyMode: Sendable {
        /// SQLite's read-only mode on the `-wal` and `-shm` files that are there, opening
        /// the `-shm` read-only (`readonly_shm`) so it is never created: sees every commit,
        /// other processes' included.
        case log
        /// The file as it is, without locks or log (`immutable`): only for a database
        /// that has no `-wal` file, which a read-only connection would otherwise create.
        case immutable
    }

    /// Opens (and, with `create`, creates) the database at `path`.
    ///
    /// - Throws: `SQLiteError` when SQLite cannot open the file. A handle that failed
    ///   to open is still closed.
    convenience init(path: String, create: Bool) throws {
        try self.init(path: path, filename: path,
                      flags: SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
    }

    /// Opens the database at `path` read-only, in `mode`.
    ///
    /// - Throws: `SQLiteError` when SQLite cannot open the file.
    convenience init(path: String, readOnly mode: ReadOnlyMode) throws {
        let query = mode == .log ? "mode=ro&readonly_shm=1" : "mode=ro&immutable=1"
        try self.init(path: path, filename: Self.uri(path) + "?" + query, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
    }

    /// The `file:` URI that names `path`: every byte but letters, digits and `/._-~`
    /// percent-encoded, so `?`, `#` and `%` in a file name stay part of it.
    static func uri(_ path: String) -> String {
        var uri = "file:"
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "-"), UInt8(ascii: "~"):
                uri.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                uri += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return uri
    }

    /// Opens `filename` (a path, or a URI with `SQLITE_OPEN_URI`) with `flags`; `path`
    /// is the file's path, for messages.
    private init(path: String, filename: String, flags: Int32) throws {
        Self.configureSQLite
        var handle: OpaquePointer?
        let flags = flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(filename, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let error = SQLiteError(
                extendedCode: handle.map { sqlite3_extended_errcode($0) } ?? rc,
                message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc)),
                sql: nil, systemErrno: handle.map { sqlite3_system_errno($0) } ?? 0)
            sqlite3_close_v2(handle)
            throw error
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
    }

    /// SQLite's process-wide settings, made before its first connection opens: no
    /// memory statistics (dq reads none, and keeping them takes a global mutex on every
    /// allocation). Fails harmlessly if something else in the process opened SQLite first.
    private static let configureSQLite: Void = {
        _ = dq_sqlite3_config_memstatus(0)
    }()

    deinit {
        statements.removeAll()
        slotted.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Whether closing this connection, when it is the last one on the file,
    /// checkpoints the write-ahead log and deletes it (SQLite's default), or leaves it
    /// (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`).
    func checkpointsOnClose(_ checkpoints: Bool) {
        _ = dq_sqlite3_db_config_int(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, checkpoints ? 0 : 1, nil)
    }

    /// Keeps `object` alive as long as this connection (for C callback contexts).
    func keepAlive(_ object: AnyObject) {
        callbackContexts.append(object)
    }

    /// How this connection waits for other processes' writes, if not SQLite's way
    /// (see `ContendedWrite`); its `finish()` runs when each transaction is over.
    var contention: ContendedWrite?

    /// Calls `handler` with the number of tries so far whenever SQLite finds the
    /// database locked; it returns `true` to try again, `false` to fail with
    /// SQLITE_BUSY. Replaces the busy timeout.
    func setBusyHandler(_ handler: @escaping (Int32) -> Bool) {
        let box = BusyHandler(handler)
        keepAlive(box)
        sqlite3_busy_handler(handle, { context, count in
            Unmanaged<BusyHandler>.fromOpaque(context!).takeUnretainedValue().call(count) ? 1 : 0
        }, Unmanaged.passUnretained(box).toOpaque())
    }

    private final class BusyHandler {
        let call: (Int32) -> Bool
        init(_ call: @escaping (Int32) -> Bool) { self.call = call }
    }

    /// Retries locks held by other connections for up to `timeout`, with SQLite's
    /// own schedule (1, 2, 5, 10 … ms between tries). Stores replace it with
    /// `ContendedWrite` unless every write takes the writer lock anyway.
    func setBusyTimeout(_ timeout: Duration) {
        let milliseconds = max(0, min(Timestamp.microseconds(timeout) / 1_000, Int64(Int32.max)))
        sqlite3_busy_timeout(handle, Int32(milliseconds))
    }

    /// Builds the error for a failed call, reading SQLite's message at once.
    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        let extended = sqlite3_extended_errcode(handle)
        // The connection's error code can be stale for calls that do not set it
        // (for example bind errors); trust `rc` when the primary codes differ.
        let code = (extended & 0xFF) == (rc & 0xFF) ? extended : rc
        return SQLiteError(extendedCode: code, message: String(cString: sqlite3_errmsg(handle)), sql: sql,
                           systemErrno: sqlite3_system_errno(handle))
    }

    /// Runs one or more SQL statements that return no rows of interest.
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
    }

    /// Returns the prepared statement for `sql`, preparing it on first use and
    /// resetting it (bindings cleared) on every later use.
    func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statements[sql] {
            statement.reset()
            return statement
        }
        let statement = try Statement(connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Every statement prepared so far (for tests that count their steps).
    var preparedStatements: [Statement] { Array(statements.values) + slotted.compactMap { $0 } }

    /// The prepared statement for `sql`, found by its slot: preparing it on first use
    /// and resetting it (bindings cleared) on every later use.
    func cachedStatement(_ sql: PreparedSQL) throws -> Statement {
        if sql.slot < slotted.count, let statement = slotted[sql.slot] {
            statement.reset()
            return statement
        }
        let statement = try Statement(connection: self, sql: sql.text)
        if sql.slot >= slotted.count { slotted += Array(repeating: nil, count: sql.slot + 1 - slotted.count) }
        slotted[sql.slot] = statement
        return statement
    }

    /// Runs a query that returns one integer (a `PRAGMA`, `count(*)`), or `nil` if it
    /// returns no row.
    func scalarInt(_ sql: String) throws -> Int64? {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.int64(at: 0) : nil
    }

    /// Runs a query that returns one text value (for example `PRAGMA journal_mode`).
    func scalarText(_ sql: String) throws -> String? {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.string(at: 0) : nil
    }

    /// Runs `body` inside a transaction and commits it; rolls back and rethrows the
    /// body's error if it throws.
    ///
    /// Writes use `.immediate`: a deferred transaction that upgrades to a write fails
    /// at once with `SQLITE_BUSY` instead of waiting
    /// (https://www.sqlite.org/lang_transaction.html).
    func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try cachedStatement(kind.begin).run()
        if kind == .immediate { writeNumber += 1 }
        let result: T
        do {
            result = try body()
        } catch {
            rollback()
            throw error
        }
        do {
            try cachedStatement(Self.commit).run()
        } catch {
            rollback()
            throw error
        }
        if kind == .immediate {
            committedWrite = writeNumber
            versionAfterWrite = dataVersion()
        }
        if !onCommit.isEmpty {
            // By index, keeping the array's storage for the next transaction's actions.
            var index = 0
            while index < onCommit.count {
                onCommit[index](self)
                index += 1
            }
            onCommit.removeAll(keepingCapacity: true)
        }
        return result
    }

    /// Whether this connection's write transaction numbered `number` (`writeNumber`, read
    /// inside it) committed, and nothing has changed the store since: no commit by this
    /// connection or any other, in this process or another.
    func isUnchanged(sinceWrite number: UInt64) -> Bool {
        number == committedWrite && dataVersion() == versionAfterWrite
    }

    /// Runs `action` once the open transaction has committed; never if it rolls back.
    func afterCommit(_ action: @escaping (Connection) -> Void) {
        onCommit.append(action)
    }

    /// The connection's `T`, made by `make` on first use: state a layer above keeps per
    /// connection (such as what it knows of the rows it last wrote).
    func attachment<T: AnyObject>(_ make: () -> T) -> T {
        let type = ObjectIdentifier(T.self)
        if let existing = attachments.first(where: { $0.type == type })?.value as? T { return existing }
        let made = make()
        attachments.append((type, made))
        return made
    }

    private static let commit = PreparedSQL("COMMIT")

    /// Rolls back the open transaction, if any. SQLite may already have rolled it
    /// back itself (for example after `SQLITE_FULL`); that is not an error.
    private func rollback() {
        onCommit.removeAll()
        if sqlite3_get_autocommit(handle) == 0 {
            _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        }
    }

    /// Sets `PRAGMA synchronous` (`"FULL"` or `"NORMAL"`), unless it already is.
    func setSynchronous(_ level: String) throws {
        if synchronous == level { return }
        // Cached: under `Durability.full` a consumer switches on every lease and ack.
        try cachedStatement("PRAGMA synchronous = \(level)").run()
        synchronous = level
    }

    /// The number of rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { Int(sqlite3_changes64(handle)) }
}

/// How a transaction takes SQLite's locks (https://www.sqlite.org/lang_transaction.html).
enum TransactionKind {
    /// Takes the read snapshot on first read; for read-only work.
    case deferred
    /// Takes the write lock at once; for every transaction that may write.
    case immediate

    private static let beginDeferred = PreparedSQL("BEGIN DEFERRED")
    private static let beginImmediate = PreparedSQL("BEGIN IMMEDIATE")

    var begin: PreparedSQL {
        switch self {
        case .deferred: Self.beginDeferred
        case .immediate: Self.beginImmediate
        }
    }
}
