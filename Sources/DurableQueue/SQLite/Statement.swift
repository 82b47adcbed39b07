import CSQLite
import FoundationEssentials

/// `SQLITE_TRANSIENT` is a macro Swift does not import: SQLite copies the bound bytes.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// One prepared statement, owned by the `Connection` that cached it.
///
/// Parameters are bound by 1-based index; columns are read by 0-based index while
/// `step()` returns `true`. The statement is reset and its bindings cleared before
/// each reuse (`Connection.cachedStatement`).
final class Statement {
    let handle: OpaquePointer
    let sql: String
    private unowned let connection: Connection

    init(connection: Connection, sql: String) throws {
        self.connection = connection
        self.sql = sql
        var handle: OpaquePointer?
        let flags = UInt32(SQLITE_PREPARE_PERSISTENT)
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, flags, &handle, nil)
        guard rc == SQLITE_OK, let handle else {
            sqlite3_finalize(handle)
            throw connection.error(rc, sql: sql)
        }
        self.handle = handle
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Makes the statement ready to run again with new bindings.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Binding

    func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds an integer, or NULL for `nil`.
    func bind(_ value: Int64?, at index: Int32) throws {
        guard let value else { return try check(sqlite3_bind_null(handle, index)) }
        try check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(_ value: Int, at index: Int32) throws {
        try bind(Int64(value), at: index)
    }

    func bind(_ value: String?, at index: Int32) throws {
        guard let value else { return try check(sqlite3_bind_null(handle, index)) }
        var copy = value
        try copy.withUTF8 { bytes in
            try check(sqlite3_bind_text64(
                handle, index, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                sqlite3_uint64(bytes.count), sqliteTransient, UInt8(SQLITE_UTF8)))
        }
    }

    /// Binds bytes as a BLOB. Empty data binds a zero-length blob (never NULL), and the
    /// byte count is passed explicitly so embedded NUL bytes survive.
    func bind(_ value: Data, at index: Int32) throws {
        if value.isEmpty {
            return try check(sqlite3_bind_zeroblob(handle, index, 0))
        }
        try value.withUnsafeBytes { bytes in
            try check(sqlite3_bind_blob64(
                handle, index, bytes.baseAddress, sqlite3_uint64(bytes.count), sqliteTransient))
        }
    }

    // MARK: Running

    /// Advances to the next row. Returns `true` while a row is available, `false` once
    /// the statement is done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc, sql: sql)
        }
    }

    /// Runs the statement to completion, ignoring any rows.
    func run() throws {
        while try step() {}
    }

    // MARK: Reading columns

    func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func int(at column: Int32) -> Int {
        Int(sqlite3_column_int64(handle, column))
    }

    func isNull(at column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func string(at column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Reads a BLOB column. SQLite returns a NULL pointer for an empty blob: that is
    /// empty `Data`, not a missing value.
    func data(at column: Int32) -> Data {
        guard let bytes = sqlite3_column_blob(handle, column) else { return Data() }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Data(bytes: bytes, count: count)
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
    }
}
