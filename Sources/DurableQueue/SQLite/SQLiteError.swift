import CSQLite

/// A failed SQLite call: the extended result code, SQLite's own message (read at
/// once after the failing call) and the SQL that was running, if any.
///
/// Callers match on the primary code with `~=`:
///
/// ```swift
/// do { try connection.execute("BEGIN IMMEDIATE") }
/// catch SQLiteError.busy { ... }
/// ```
struct SQLiteError: Error, CustomStringConvertible {
    /// The extended result code (https://www.sqlite.org/rescode.html).
    let extendedCode: Int32
    let message: String
    let sql: String?
    /// The errno of the system call that failed, for I/O errors (0 if none).
    var systemErrno: Int32 = 0

    /// The primary result code: the low 8 bits of the extended one.
    var code: Int32 { extendedCode & 0xFF }

    var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " (while running: \(sql))" }
        return text
    }

    static let busy = Code(SQLITE_BUSY)
    static let locked = Code(SQLITE_LOCKED)
    static let notADatabase = Code(SQLITE_NOTADB)
    static let corrupt = Code(SQLITE_CORRUPT)
    static let full = Code(SQLITE_FULL)
    static let readOnly = Code(SQLITE_READONLY)
    static let cannotOpen = Code(SQLITE_CANTOPEN)
    static let ioError = Code(SQLITE_IOERR)
    static let tooBig = Code(SQLITE_TOOBIG)
    static let permission = Code(SQLITE_PERM)
    static let outOfMemory = Code(SQLITE_NOMEM)

    /// SQLITE_READONLY_DBMOVED: the file was renamed or deleted while open.
    static let databaseMoved = SQLITE_READONLY | (4 << 8)
    /// SQLITE_IOERR_NOMEM: out of memory during I/O.
    static let ioOutOfMemory = SQLITE_IOERR | (12 << 8)

    /// A primary result code to match errors against in `catch` clauses.
    struct Code: Sendable {
        let rawValue: Int32
        init(_ rawValue: Int32) { self.rawValue = rawValue }

        static func ~= (pattern: Code, error: any Error) -> Bool {
            (error as? SQLiteError)?.code == pattern.rawValue
        }
    }
}
