import DQSystem
import FoundationEssentials
import Logging
import Synchronization

/// The SQLite engine: one SQLite file in WAL mode shared by every process that opens
/// it, side files beside it for wake-ups (`Doorbells`), liveness (`LeaseHolders`) and
/// writers' turns (`WriterLock`). Implements the store contract (`StoreEngine`).
///
/// Safe to use from many threads at once: each call takes its own pooled connection.
final class SQLiteEngine: Sendable {
    /// The database file's path.
    let path: String
    let options: StoreOptions
    private let pool: ConnectionPool
    /// Lanes this process took messages from, deleted once found empty (see `DrainedLanes`).
    let drainedLanes = DrainedLanes()
    /// The queues' doorbells, rung after commits and watched by blocked readers.
    let doorbells: Doorbells
    /// Messages in and out per queue, for rates (see `SharedCounterTable`).
    let traffic: Traffic
    /// Redeliveries and waits per queue, for `/metrics` (see `Deliveries`).
    let deliveries: Deliveries
    /// Every blocked reader of this process sleeps through it (see `reactor()`).
    let reactorSlot = Mutex<WaitReactor?>(nil)
    /// This process's lease-holder lock, and the search for dead holders.
    let holders: LeaseHolders
    /// Runs WAL checkpoints, and space reclaim, off the commit path.
    let checkpointer: Checkpointer
    /// Seats where blocked stream-group subscribers are handed entries (`StreamHandoffs`).
    let handoffs: LazySharedFile<StreamHandoffs>
    /// Where `handoffs` maps its seats from.
    let handoffsPath: String
    /// Queues known to hold nothing deliverable while nothing is written (`QuietQueues`).
    let quietQueues = QuietQueues()
    /// Writers take turns on this (`nil` when `StoreOptions.writerLock` is off).
    private let writerLock: WriterLock?
    /// The sidecar lock writers queue on, whether they all take it or only those that
    /// collide (`nil` when only reading).
    private let writersQueue: WriterLock?
    /// How this process reads the store when it only reads it (`StoreAccess.readOnly`,
    /// or `.existing` on a store it may not write); `nil` when it writes too.
    let readOnly: Connection.ReadOnlyMode?

    /// Opens the store file at `path`, or creates it as `options.access` allows (see
    /// `Store.init(path:options:)`).
    init(path: String, options: StoreOptions) throws(DQError) {
        self.path = path
        self.options = options
        self.doorbells = Doorbells(storePath: path)
        self.traffic = Traffic(storePath: path)
        self.deliveries = Deliveries(storePath: path)
        self.holders = LeaseHolders(storePath: path)
        self.handoffs = LazySharedFile(directory: path + "-wake", name: "seats") { StreamHandoffs(path: $0) }
        self.handoffsPath = path + "-wake/seats"
        if let type = StoreLocation.unsafeFilesystem(of: path) {
            throw DQError(.storeUnavailable, "\(path) is on \(type): WAL needs a local filesystem, not a network or FUSE one")
        }
        let opened: Opened
        do {
            opened = options.access == .readOnly
                ? try Self.openReadOnly(path: path, options: options)
                : try Self.openReadWrite(path: path, options: options)
        } catch where error.kind == .permissionDenied && options.access == .existing {
            opened = try Self.openReadOnly(path: path, options: options)
        }
        readOnly = opened.readOnly
        self.writerLock = options.writerLock ? opened.writerLock : nil
        self.writersQueue = opened.writerLock
        let checkpointer = Checkpointer()
        self.checkpointer = checkpointer
        // Without the writer lock up front, writers that collide queue on it (see
        // `ContendedWrite`) instead of sleeping in SQLite's busy handler.
        let contended = options.writerLock ? nil : opened.writerLock
        // The hooks every connection of this store gets.
        let equip: @Sendable (Connection) -> Void = { connection in
            checkpointer.install(on: connection)
            contended.map { ContendedWrite(lock: $0, timeout: options.busyTimeout).install(on: connection) }
        }
        equip(opened.first)
        pool = ConnectionPool { [path, options, readOnly] in
            let connection: Connection
            if let readOnly {
                connection = try Connection(path: path, readOnly: readOnly)
                Self.configureReading(connection, options: options)
            } else {
                connection = try Connection(path: path, create: false)
                try Self.configure(connection, options: options)
            }
            equip(connection)
            return connection
        }
        pool.add(opened.first)
        checkpointer.attach(to: self)
        options.logger.debug("store opened", metadata: ["path": "\(path)", "durability": "\(options.durability.rawValue)",
                                                        "read-only": "\(readOnly != nil)"])
    }

    /// The first connection of a store just opened, and how the store was opened.
    struct Opened {
        let first: Connection
        /// The sidecar lock writers queue on (`nil` when only reading).
        let writerLock: WriterLock?
        /// How it is read when only read; `nil` when written too.
        let readOnly: Connection.ReadOnlyMode?
    }

    /// Opens the store to read and write it, creating it first if `options.access` is
    /// `.create`.
    private static func openReadWrite(path: String, options: StoreOptions) throws(DQError) -> Opened {
        _ = try StoreLocation.prepare(path: path, access: options.access)
        try SideFiles.verify(storePath: path)
        let first = try openChecked(path: path, options: options)
        return Opened(first: first, writerLock: try WriterLock(path: lockPath(for: path)), readOnly: nil)
    }

    /// A write-ahead log shorter than this is left in place when the store closes, for
    /// the next process to open (`Durability` is unchanged: committed is committed).
    /// From this size on, closing is left to SQLite: the last connection to the file
    /// checkpoints the log and deletes it, and any other leaves it to the processes
    /// still using the store.
    ///
    /// SQLite's close would checkpoint, fsync and delete the log every time the last
    /// connection closes: three to four fsyncs that made up half of a one-shot
    /// `dq put`. Leaving the log costs the next process that opens an idle store a read
    /// of it (SQLite rebuilds its index from the log), about 0.5 ms per MiB here: at
    /// most 0.1 ms below this size.
    static let keptLogBytes: Int64 = 256 << 10

    deinit {
        checkpointer.detach()
        reactorSlot.withLock { $0?.shutdown() }
        // Lanes this process drained leave no row behind (see `DrainedLanes`).
        if !drainedLanes.isEmpty { _ = try? drainedLanes.sweep(self, visits: 0) }
        if readOnly == nil && StoreLocation.fileSize(path + "-wal") >= Self.keptLogBytes {
            pool.forEachIdle { $0.checkpointsOnClose(true) }
        }
    }

    var logger: Logger { options.logger }

    /// The descriptor of this process's lease-holder lock (`nil` until it first leases
    /// a message with `releaseOnExit`). A child process that inherits it keeps this
    /// process counted as alive, so its leases are not handed back early, for as long
    /// as the child, or anything it starts, keeps it open: `dq worker` passes it to its
    /// commands.
    var leaseHolderDescriptor: Int32? { holders.heldDescriptor }

    /// The sidecar lock file: store set-up and writers take turns on it (`flock`).
    static func lockPath(for path: String) -> String { path + "-lock" }

    /// Opens the first connection and makes sure the file is a current dq store in WAL
    /// mode. Processes that open a store at the same time take turns through a `flock`
    /// on the sidecar lock file: a shared lock to check a store that is ready (the
    /// common case), an exclusive one to create or migrate it. Without it, SQLite
    /// answers SQLITE_BUSY at once, not after the busy timeout, to a reader that
    /// meets another process switching a new file to WAL.
    private static func openChecked(path: String, options: StoreOptions) throws(DQError) -> Connection {
        let lock = try FileLock(path: lockPath(for: path))
        do {
            return try openChecked(path: path, options: options, lock: lock)
        } catch {
            // Leave nothing behind beside a file that is not ours.
            if error.kind == .badStore && lock.created { try? FileSystem.remove(lock.path) }
            throw error
        }
    }

    private static func openChecked(path: String, options: StoreOptions, lock: FileLock) throws(DQError) -> Connection {
        try translatingErrors(path: path) {
            let connection = try Connection(path: path, create: false)
            let ready = try retryingBusy(timeout: options.busyTimeout) {
                try lock.withLock(.shared, timeout: options.busyTimeout) {
                let version = try connection.scalarInt("PRAGMA user_version") ?? 0
                let mode = try connection.scalarText("PRAGMA journal_mode")
                guard version == Schema.currentVersion, mode?.lowercased() == "wal" else { return false }
                try Migrator().prepare(connection, version: version) {
                    try configure(connection, options: options, inWAL: true)
                }
                return true
                }
            }
            guard !ready else { return connection }
            try retryingBusy(timeout: options.busyTimeout) {
                try lock.withLock(.exclusive, timeout: options.busyTimeout) {
                    try Migrator().prepare(connection) { try configure(connection, options: options) }
                }
            }
            // A migration's `ALTER TABLE … RENAME` opens the connection's TEMP database, after
            // which each of its write transactions begins and commits one there too: the
            // store goes on with a connection that ran no migration.
            let fresh = try Connection(path: path, create: false)
            try configure(fresh, options: options)
            return fresh
        }
    }

    /// Per-connection settings. The journal mode must come back as `wal`: SQLite
    /// silently keeps another mode on filesystems that cannot do WAL (`inWAL`: the
    /// caller has just read that it is).
    private static func configure(_ connection: Connection, options: StoreOptions, inWAL: Bool = false) throws {
        connection.setBusyTimeout(options.busyTimeout)
        if connection.isReadOnly {
            throw DQError(.permissionDenied, "cannot write \(connection.path): permission denied")
        }
        let mode = inWAL ? "wal" : try connection.scalarText("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw DQError(.storeUnavailable, "\(connection.path): SQLite cannot use WAL mode here (journal_mode is \(mode ?? "unknown")); put the store on a local filesystem")
        }
        try connection.setSynchronous(options.durability == .full ? "FULL" : "NORMAL")
        // Closing does not checkpoint unless `deinit` says so (see `keptLogBytes`).
        connection.checkpointsOnClose(false)
    }

    // MARK: Running work on a connection

    /// Runs `body` on a connection of its own, with SQLite errors translated.
    func withConnection<T>(_ body: (Connection) throws -> T) throws(DQError) -> T {
        try translatingErrors(path: path) {
            try retryingBusy(timeout: options.busyTimeout) {
                try pool.withConnection { connection in
                    defer { connection.contention?.finish() }
                    return try body(connection)
                }
            }
        }
    }

    /// Runs `body` in a write (`BEGIN IMMEDIATE`) transaction, holding the writer
    /// lock (see `WriterLock`) unless the options turned it off. With
    /// `Durability.full`, a commit of `kind` `.takes` is not fsynced (see `Durability`).
    func write<T>(_ kind: CommitKind = .stores, _ body: (Connection) throws -> T) throws(DQError) -> T {
        try refuseIfReadOnly("write")
        return try withConnection { connection in
            if options.durability == .full { try connection.setSynchronous(kind == .stores ? "FULL" : "NORMAL") }
            connection.contention?.writing = true
            defer { connection.contention?.writing = false }
            let hold = try writerLock?.acquire(timeout: options.busyTimeout)
            defer { if let hold { writerLock?.release(hold) } }
            return try connection.transaction(.immediate) { try body(connection) }
        }
    }

    /// Runs `body` on a connection with the writers' queue held, so that every writer
    /// that finds SQLite's write lock taken (with `StoreOptions.writerLock`, every
    /// writer) waits in the kernel until `body` is done; `nil` if the queue was not had
    /// within `timeout`. For work that takes SQLite's write lock outside a transaction
    /// (a full checkpoint).
    func holdingWriters<T>(timeout: Duration, _ body: (Connection) throws -> T) throws(DQError) -> T? {
        guard let writersQueue else { return nil }
        let hold: WriterLock.Hold
        do { hold = try writersQueue.acquire(timeout: timeout) } catch where error.kind == .timedOut { return nil }
        defer { writersQueue.release(hold) }
        return try withConnection(body)
    }

    /// Runs `body` in a read transaction: one consistent snapshot, no write lock.
    func read<T>(_ body: (Connection) throws -> T) throws(DQError) -> T {
        try withConnection { connection in try connection.transaction(.deferred) { try body(connection) } }
    }
}
