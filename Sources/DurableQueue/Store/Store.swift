import FoundationEssentials
import Logging

/// How hard a commit tries to reach the disk before `put` returns.
///
/// A per-process setting: processes sharing a store may choose differently.
///
/// For example:
///
/// ```swift
/// let store = try Store(path: "/var/tmp/payments.db", options: StoreOptions(durability: .full))
/// ```
public enum Durability: String, Sendable, CaseIterable {
    /// `synchronous=NORMAL`: a commit survives any process crash (kill -9 included);
    /// the last commits before a power loss or kernel panic may be lost.
    case normal
    /// `synchronous=FULL`: it also survives power loss. Every commit is fsynced before
    /// it returns — a put, a get (so a message a get returned never comes back), a
    /// nack, shared state — except those that only lease or settle leased messages
    /// (receive with a lease, ack, extend): the next fsynced commit or checkpoint makes
    /// those durable, and losing one to a power cut only delivers a message again,
    /// which leases allow (at-least-once).
    case full
}

/// What a write transaction does, which decides whether `Durability.full` waits for
/// the disk when it commits.
enum CommitKind {
    /// Stores something that must survive power loss: fsynced under `.full`.
    case stores
    /// Only leases or settles leased messages (receive with a lease, ack, extend):
    /// losing it to a power cut delivers a message again, which a lease allows, and
    /// never loses one. Not fsynced.
    case takes
}

/// Settings for opening a `Store`. They apply to this process's connections only.
///
/// For example:
///
/// ```swift
/// var options = StoreOptions(busyTimeout: .seconds(30))
/// options.logger = Logger(label: "dq")
/// let store = try Store(path: "/tmp/jobs.db", options: options)
/// ```
public struct StoreOptions: Sendable {
    /// How durable each commit is. Every process may choose its own.
    public var durability: Durability
    /// How long a write waits for another process's write lock before failing with
    /// `DQError.Kind.timedOut`.
    public var busyTimeout: Duration
    /// Whether every write takes turns on the advisory lock in the kernel (`PATH-lock`,
    /// see `WriterLock`) before SQLite's write lock. When off (the default), only
    /// writers that find the write lock taken queue on it (see `ContendedWrite`):
    /// nobody sleeps in SQLite's busy handler (1 ms and more between tries) either way.
    ///
    /// Off by default: measured on a 2-core machine with 4 producers putting flat out
    /// (`dq bench --workload C4`), taking the `flock` on every write made the p99 put
    /// latency 1.3–2.7 ms — a preempted holder stalls every queued writer — against
    /// 0.1–1.4 ms when only colliding writers queue. It may pay off where writers have
    /// a core each; `dq bench --writer-lock` measures it.
    public var writerLock: Bool
    /// Where the store reports what it does on its own: space reclaimed, leases of
    /// dead processes returned. The library prints nothing itself; by
    /// default these go nowhere.
    public var logger: Logger

    /// Options with the given settings; the defaults suit most uses.
    ///
    /// For example:
    ///
    /// ```swift
    /// let options = StoreOptions(durability: .full, busyTimeout: .seconds(2))
    /// ```
    public init(durability: Durability = .normal, busyTimeout: Duration = .seconds(10), writerLock: Bool = false,
                logger: Logger = Logger(label: "dq", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.durability = durability
        self.busyTimeout = busyTimeout
        self.writerLock = writerLock
        self.logger = logger
    }
}

/// A dq store: one SQLite file in WAL mode, shared by every process that opens it.
///
/// Opening creates the file (and missing parent directories) if needed, checks that it
/// is a dq store this build can read, and migrates an older schema. A `Store` is safe
/// to use from many threads and tasks at once: each call takes its own connection.
///
/// For example:
///
/// ```swift
/// let store = try Store(path: "/tmp/jobs.db")
/// let jobs = try store.queue("jobs")
/// try jobs.put("resize cat.png")
/// let next = try jobs.get(timeout: .seconds(5))
/// ```
public final class Store: Sendable {
    /// The database file's path as given (or resolved from the environment).
    public let path: String
    /// The options the store was opened with.
    public let options: StoreOptions
    private let pool: ConnectionPool
    /// Lanes this process took messages from, deleted once found empty (see `DrainedLanes`).
    let drainedLanes = DrainedLanes()
    /// The queues' doorbells, rung after commits and watched by blocked readers.
    let doorbells: Doorbells
    /// Messages in and out per queue, for rates (see `TrafficCounters`).
    let traffic: Traffic
    /// Inotify watches kept between blocking reads.
    let waiters = WaiterPool()
    /// This process's lease-holder lock, and the search for dead holders.
    let holders: LeaseHolders
    /// Runs WAL checkpoints, and space reclaim, off the commit path.
    let checkpointer: Checkpointer
    /// Writers take turns on this (`nil` when `StoreOptions.writerLock` is off).
    private let writerLock: WriterLock?

    /// Opens or creates the store at `path`; `nil` means `StoreLocation.defaultPath`.
    ///
    /// Any number of processes may open the same path at once; those that arrive
    /// together take turns creating or migrating it. A new file gets mode 0600.
    ///
    /// For example:
    ///
    /// ```swift
    /// let store = try Store(path: "/tmp/jobs.db")
    /// let shared = try Store()   // $DQ_DB, or ~/.local/share/dq/default.db
    /// ```
    ///
    /// - Throws: `DQError` with kind `.badStore` for a file that is not a dq store
    ///   (the file is left untouched), `.storeUnavailable` when the file or its
    ///   directory cannot be created, opened or written, `.timedOut` when another
    ///   process holds the store locked past the busy timeout, `.invalidArgument` for an
    ///   empty path. A store on a network or FUSE filesystem is `.storeUnavailable`.
    public init(path: String? = nil, options: StoreOptions = StoreOptions()) throws(DQError) {
        let path = path ?? StoreLocation.defaultPath(environment: ProcessInfo.processInfo.environment)
        guard !path.isEmpty else { throw DQError(.invalidArgument, "the store path is empty") }
        self.path = path
        self.options = options
        self.doorbells = Doorbells(storePath: path)
        self.traffic = Traffic(storePath: path)
        self.holders = LeaseHolders(storePath: path)
        if let type = StoreLocation.unsafeFilesystem(of: path) {
            throw DQError(.storeUnavailable, "\(path) is on \(type): WAL needs a local filesystem, not a network or FUSE one")
        }
        _ = try StoreLocation.prepare(path: path)
        try SideFiles.verify(storePath: path)
        let first = try Self.openChecked(path: path, options: options)
        let writerLock = try WriterLock(path: Self.lockPath(for: path))
        self.writerLock = options.writerLock ? writerLock : nil
        let checkpointer = Checkpointer()
        self.checkpointer = checkpointer
        // Without the writer lock up front, writers that collide queue on it (see
        // `ContendedWrite`) instead of sleeping in SQLite's busy handler.
        let contended = options.writerLock ? nil : writerLock
        // The hooks every connection of this store gets.
        let equip: @Sendable (Connection) -> Void = { connection in
            checkpointer.install(on: connection)
            contended.map { ContendedWrite(lock: $0, timeout: options.busyTimeout).install(on: connection) }
        }
        equip(first)
        pool = ConnectionPool { [path, options] in
            let connection = try Connection(path: path, create: false)
            try Self.configure(connection, options: options)
            equip(connection)
            return connection
        }
        pool.add(first)
        checkpointer.attach(to: self)
        options.logger.debug("store opened", metadata: ["path": "\(path)", "durability": "\(options.durability.rawValue)"])
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
        // Lanes this process drained leave no row behind (see `DrainedLanes`).
        if !drainedLanes.isEmpty { _ = try? drainedLanes.sweep(self, visits: 0) }
        if StoreLocation.fileSize(path + "-wal") >= Self.keptLogBytes {
            pool.forEachIdle { $0.checkpointsOnClose(true) }
        }
    }

    var logger: Logger { options.logger }

    /// The descriptor of this process's lease-holder lock (`nil` until it first leases
    /// a message with `releaseOnExit`). A child process that inherits it keeps this
    /// process counted as alive, so its leases are not handed back early, for as long
    /// as the child, or anything it starts, keeps it open: `dq worker` passes it to its
    /// commands.
    public var leaseHolderDescriptor: Int32? { holders.heldDescriptor }

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
            if !ready {
                try retryingBusy(timeout: options.busyTimeout) {
                    try lock.withLock(.exclusive, timeout: options.busyTimeout) {
                        try Migrator().prepare(connection) { try configure(connection, options: options) }
                    }
                }
            }
            return connection
        }
    }

    /// Per-connection settings. The journal mode must come back as `wal`: SQLite
    /// silently keeps another mode on filesystems that cannot do WAL (`inWAL`: the
    /// caller has just read that it is).
    private static func configure(_ connection: Connection, options: StoreOptions, inWAL: Bool = false) throws {
        connection.setBusyTimeout(options.busyTimeout)
        if connection.isReadOnly {
            throw DQError(.storeUnavailable, "cannot write \(connection.path): permission denied")
        }
        let mode = inWAL ? "wal" : try connection.scalarText("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw DQError(.storeUnavailable, "\(connection.path): SQLite cannot use WAL mode here (journal_mode is \(mode ?? "unknown")); put the store on a local filesystem")
        }
        try connection.setSynchronous(options.durability == .full ? "FULL" : "NORMAL")
        // Closing does not checkpoint unless `deinit` says so (see `keptLogBytes`).
        connection.checkpointsOnClose(false)
    }

    /// A handle on the queue called `name`. Queues need no creating: a queue exists
    /// while it holds messages.
    ///
    /// For example:
    ///
    /// ```swift
    /// let jobs = try store.queue("jobs")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` unless `name` is 1–200 bytes of UTF-8
    ///   without control characters.
    public func queue(_ name: String) throws(DQError) -> Queue {
        try Names.validate(name, what: "queue name")
        return Queue(store: self, name: name)
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
        try withConnection { connection in
            if options.durability == .full { try connection.setSynchronous(kind == .stores ? "FULL" : "NORMAL") }
            connection.contention?.writing = true
            defer { connection.contention?.writing = false }
            let hold = try writerLock?.acquire(timeout: options.busyTimeout)
            defer { if let hold { writerLock?.release(hold) } }
            return try connection.transaction(.immediate) { try body(connection) }
        }
    }

    /// Runs `body` in a read transaction: one consistent snapshot, no write lock.
    func read<T>(_ body: (Connection) throws -> T) throws(DQError) -> T {
        try withConnection { connection in try connection.transaction(.deferred) { try body(connection) } }
    }
}
