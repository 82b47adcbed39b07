import DQSystem

/// Opening a store this process only reads (`StoreAccess.readOnly`, or `.existing` on a
/// store it may not write): SQLite read-only, and no file or folder created or changed.
extension SQLiteEngine {
    /// Opens the first connection of a store to read it only, once it has checked that
    /// the file is a current dq store.
    ///
    /// The `-wal` and `-shm` files are used when the store has them (a writer may have
    /// it open). Without a `-wal` no process has it open, and SQLite would create one,
    /// owned by this user, which could lock the store's owner out of it: the file is
    /// then read as it is (`Connection.ReadOnlyMode.immutable`). The set-up lock is
    /// taken shared when this process may read it, so a store being created or
    /// migrated is read once that is done.
    ///
    /// - Throws: `DQError` `.storeUnavailable` "no store at PATH" for a missing or empty
    ///   file; `.permissionDenied` when the file or its `-wal`/`-shm` may not be read,
    ///   or the store's schema is older than this dq's (it cannot be upgraded
    ///   read-only); `.badStore` for a file that is not a dq store.
    static func openReadOnly(path: String, options: StoreOptions) throws(DQError) -> Opened {
        _ = try StoreLocation.prepare(path: path, access: .readOnly)
        try SideFiles.verify(storePath: path)
        let lock = FileLock(readingExisting: lockPath(for: path))
        let open = { () throws -> Opened in
            let mode: Connection.ReadOnlyMode = FileSystem.exists(path + "-wal") ? .log : .immutable
            let connection = try Connection(path: path, readOnly: mode)
            configureReading(connection, options: options)
            try checkReadable(connection, mode: mode)
            return Opened(first: connection, writerLock: nil, readOnly: mode)
        }
        return try translatingErrors(path: path) {
            try retryingBusy(timeout: options.busyTimeout) {
                if let lock { try lock.withLock(.shared, timeout: options.busyTimeout, open) } else { try open() }
            }
        }
    }

    /// Settings of a connection that only reads.
    static func configureReading(_ connection: Connection, options: StoreOptions) {
        connection.setBusyTimeout(options.busyTimeout)
        connection.checkpointsOnClose(false)
    }

    /// Refuses a file that is not a current dq store, reading its header (which also
    /// finds a `-wal` or `-shm` this process may not read).
    private static func checkReadable(_ connection: Connection, mode: Connection.ReadOnlyMode) throws {
        let version: Int64
        do {
            version = try connection.scalarInt("PRAGMA user_version") ?? 0
        } catch let error as SQLiteError where mode == .log && error.code == SQLiteError.cannotOpen.rawValue {
            throw DQError(.permissionDenied, "cannot read \(connection.path): its -wal and -shm files must be readable too (any dq its owner runs gives them the store file's mode)")
        }
        let migrator = Migrator()
        try migrator.check(connection, version: version)
        if try version == 0 && (connection.scalarInt("SELECT count(*) FROM sqlite_schema") ?? 0) == 0 {
            throw StoreLocation.noStore(connection.path, "the file holds no tables")
        }
        if version < migrator.currentVersion {
            throw DQError(.permissionDenied, "cannot read \(connection.path) read-only: its schema (version \(version)) is older than this dq's (\(migrator.currentVersion)); any dq that may write it upgrades it")
        }
    }

    /// Throws `.permissionDenied` when the store is open only to read: `what` (`write`,
    /// `wait on`) needs a store this process may write.
    func refuseIfReadOnly(_ what: String) throws(DQError) {
        guard readOnly != nil else { return }
        throw DQError(.permissionDenied, "cannot \(what) \(path): it is open read-only")
    }
}
