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

/// Whether opening a `Store` may create it, and whether the store is read and written
/// or only read.
///
/// For example:
///
/// ```swift
/// let store = try Store(path: "/srv/jobs.db", options: StoreOptions(access: .existing))
/// ```
public enum StoreAccess: Sendable {
    /// Read and write; a missing store is created, with its missing parent folders.
    case create
    /// Read and write a store that is there; a missing (or empty) file is
    /// `.storeUnavailable` "no store at PATH", and nothing is created. When this process
    /// may not write the store (the file, a side file it needs, or the filesystem is
    /// read-only to it), it is opened as `.readOnly` instead.
    case existing
    /// Only read a store that is there: SQLite opens it read-only, and no file or
    /// folder is created or changed, not even dq's side files. Writes and waits fail with
    /// `.permissionDenied`. A store of an older schema cannot be read this way until a
    /// process that may write it upgrades it.
    ///
    /// When the store has no `-wal` file (no process has it open) and its folder may
    /// not be written, the file is read as it is (SQLite's `immutable`): a writer that
    /// starts meanwhile is not seen, and its checkpoint may fail a read in progress.
    case readOnly
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
    /// Off by default: a holder preempted while it holds the lock stalls every queued
    /// writer, which raises the tail latency of puts when writers outnumber cores (README,
    /// "Waiting", has the figures). `dq bench --writer-lock` measures it on a machine.
    public var writerLock: Bool
    /// Whether opening may create the store, and whether it is written or only read
    /// (default `.create`).
    public var access: StoreAccess
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
                access: StoreAccess = .create,
                logger: Logger = Logger(label: "dq", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.durability = durability
        self.busyTimeout = busyTimeout
        self.writerLock = writerLock
        self.access = access
        self.logger = logger
    }
}
