import CSQLite

/// The write-ahead log: the commit hook that reports its length, and checkpoints.
extension Connection {
    /// Calls `hook` after every commit this connection makes, with the number of frames
    /// the write-ahead log then holds. Replaces SQLite's auto-checkpoint, so the hook
    /// decides when to checkpoint; it may call `checkpoint(_:schema:)` on the connection
    /// it is given.
    ///
    /// For example:
    ///
    /// ```swift
    /// connection.setWALHook { connection, frames in
    ///     if frames >= 2_000 { _ = try? connection.checkpoint(.passive, schema: "main") }
    /// }
    /// ```
    ///
    /// See https://www.sqlite.org/c3ref/wal_hook.html.
    func setWALHook(_ hook: @escaping (_ connection: Connection, _ frames: Int32) -> Void) {
        let box = WALHook(connection: self, hook)
        keepAlive(box)
        // Returns the previous hook's context, not a result code: nothing to check.
        sqlite3_wal_hook(handle, { context, _, _, frames in
            let box = Unmanaged<WALHook>.fromOpaque(context!).takeUnretainedValue()
            box.call(box.connection, frames)
            return SQLITE_OK
        }, Unmanaged.passUnretained(box).toOpaque())
    }

    private final class WALHook {
        /// Unowned: the connection keeps the hook alive, not the other way round.
        unowned let connection: Connection
        let call: (Connection, Int32) -> Void

        init(connection: Connection, _ call: @escaping (Connection, Int32) -> Void) {
            self.connection = connection
            self.call = call
        }
    }

    /// How a checkpoint treats the other connections (see `checkpoint(_:schema:)`).
    enum CheckpointMode {
        /// Copies what it can without waiting for any reader or writer.
        case passive
        /// Takes SQLite's write lock (waiting for a writer through the busy handler),
        /// waits for readers of older snapshots the same way, and copies the whole log:
        /// the next transaction then starts the log over.
        case full

        var value: Int32 { self == .passive ? SQLITE_CHECKPOINT_PASSIVE : SQLITE_CHECKPOINT_FULL }
    }

    /// Copies the write-ahead log into the database, as `mode` allows, for `schema`
    /// (`nil`: every attached database).
    ///
    /// For example:
    ///
    /// ```swift
    /// let copied = try connection.checkpoint(.passive)
    /// ```
    ///
    /// See https://www.sqlite.org/c3ref/wal_checkpoint_v2.html.
    ///
    /// - Returns: how many frames of the log are checkpointed now.
    /// - Throws: `SQLiteError` when the checkpoint could not run or finish
    ///   (`SQLITE_BUSY` while another connection checkpoints, or when the busy handler
    ///   gave up waiting, for example).
    func checkpoint(_ mode: CheckpointMode, schema: String? = nil) throws -> Int32 {
        var copied: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(handle, schema, mode.value, nil, &copied)
        guard rc == SQLITE_OK else { throw error(rc, sql: nil) }
        return copied
    }

    /// Whether SQLite opened the main database read-only (the file or its directory
    /// is not writable), though read-write was asked for.
    ///
    /// See https://www.sqlite.org/c3ref/db_readonly.html.
    var isReadOnly: Bool {
        sqlite3_db_readonly(handle, "main") == 1
    }
}

extension Connection {
    /// A number that changes whenever the main database changes, through this connection
    /// or any other (in another process too: seen when a transaction begins). One C call,
    /// no statement. See https://www.sqlite.org/c3ref/c_fcntl_begin_atomic_write.html
    /// (SQLITE_FCNTL_DATA_VERSION).
    func dataVersion() -> UInt32 {
        var version: UInt32 = 0
        // A nil name is "main", without comparing names: it cannot fail.
        _ = sqlite3_file_control(handle, nil, SQLITE_FCNTL_DATA_VERSION, &version)
        return version
    }

    /// Whether the connection has opened its TEMP database (some statements do, such as
    /// `ALTER TABLE … RENAME`): every write transaction then begins one there too.
    var hasTempDatabase: Bool { sqlite3_db_filename(handle, "temp") != nil }

    /// The rowid of the last row this connection inserted (`sqlite3_last_insert_rowid`).
    var lastInsertedRowid: Int64 { sqlite3_last_insert_rowid(handle) }
}
