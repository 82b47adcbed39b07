import FoundationEssentials
import Logging

/// A dq store: durable queues and shared state that every process on the machine can
/// open at once, kept by an engine behind the store contract (`StoreEngine`): by
/// default one SQLite file in WAL mode.
///
/// Opening creates the file (and missing parent directories) if needed, checks that it
/// is a dq store this build can read, and migrates an older schema.
/// `StoreOptions.access` can refuse to create it, or open it to read only. A `Store` is safe
/// to use from many threads and tasks at once.
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
    /// The engine that keeps the store's data.
    package let engine: any StoreEngine

    /// Opens or creates the store at `path`; `nil` means `StoreLocation.defaultPath`.
    ///
    /// Any number of processes may open the same path at once; those that arrive
    /// together take turns creating or migrating it. A new file gets mode 0600. With
    /// `options.access` `.existing` or `.readOnly` nothing is created, and a store this
    /// process may not write can still be read (see `StoreAccess`).
    ///
    /// For example:
    ///
    /// ```swift
    /// let store = try Store(path: "/tmp/jobs.db")
    /// let shared = try Store()   // $DQ_DB, or ~/.local/share/dq/default.db
    /// let report = try Store(path: "/srv/jobs.db", options: StoreOptions(access: .readOnly))
    /// ```
    ///
    /// - Throws: `DQError` with kind `.badStore` for a file that is not a dq store
    ///   (the file is left untouched); `.permissionDenied` (read-only file, directory
    ///   or filesystem), `.diskFull`, `.resourceExhausted` or `.storeUnavailable` when
    ///   the file or its directory cannot be created, opened or written; `.timedOut`
    ///   when another process holds the store locked past the busy timeout;
    ///   `.invalidArgument` for an empty path. A store on a network or FUSE filesystem
    ///   is `.storeUnavailable`, and so is a missing or empty file ("no store at PATH")
    ///   unless `options.access` is `.create`.
    public init(path: String? = nil, options: StoreOptions = StoreOptions()) throws(DQError) {
        let path = path ?? StoreLocation.defaultPath(environment: ProcessInfo.processInfo.environment)
        guard !path.isEmpty else { throw DQError(.invalidArgument, "the store path is empty") }
        if PostgresAddress.isAddress(path) {
            throw DQError(.invalidArgument, "\(PostgresAddress.redacted(path)) is a PostgreSQL address: open it with "
                          + "Store(postgres:) or Store.open(_:) from DurableQueuePostgres")
        }
        self.path = path
        self.options = options
        self.engine = try SQLiteEngine(path: path, options: options)
    }

    /// A store kept by `engine` (the contract tests run on each engine this way).
    package init(engine: any StoreEngine, options: StoreOptions = StoreOptions()) {
        self.path = engine.location
        self.options = options
        self.engine = engine
    }

    var logger: Logger { options.logger }

    /// The descriptor of this process's lease-holder lock (`nil` until it first leases
    /// a message with `releaseOnExit`). A child process that inherits it keeps this
    /// process counted as alive, so its leases are not handed back early, for as long
    /// as the child, or anything it starts, keeps it open: `dq worker` passes it to its
    /// commands.
    public var leaseHolderDescriptor: Int32? { engine.leaseHolderDescriptor }

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

    /// Returns free space to the filesystem once a backlog has drained (incremental
    /// vacuum in short transactions, then a checkpoint that empties the write-ahead
    /// log). Does nothing unless at least 1 MiB and a tenth of the file are free.
    ///
    /// The store does this on its own when a queue drains; call it to do it now.
    ///
    /// For example:
    ///
    /// ```swift
    /// let pages = try store.reclaimSpace(budget: 10_000)
    /// ```
    ///
    /// - Parameter budget: at most this many pages this call (`nil`: all of them).
    /// - Returns: how many pages were freed.
    /// - Throws: `DQError` (`.diskFull`, `.permissionDenied`, …) if the store cannot be
    ///   written, `.timedOut` if another writer held the lock past the busy timeout;
    ///   pages freed before that stay freed.
    @discardableResult
    public func reclaimSpace(budget: Int64? = nil) throws(DQError) -> Int64 {
        try engine.reclaimSpace(budget: budget)
    }
}
