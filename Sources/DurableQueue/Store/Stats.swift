/// A queue's counts at one instant.
///
/// For example:
///
/// ```swift
/// for queue in try store.stats().queues {
///     print(queue.name, queue.ready, queue.leased, queue.dead)
/// }
/// ```
public struct QueueStats: Sendable, Hashable {
    /// The queue's name.
    public let name: String
    /// Deliverable now.
    public let ready: Int
    /// Put with a delay that has not passed yet.
    public let delayed: Int
    /// Handed out under a lease and not yet settled.
    public let leased: Int
    /// Moved aside after too many attempts.
    public let dead: Int
    /// How long the oldest deliverable message has waited; `nil` when none is ready.
    public let oldestReadyAge: Duration?

    package init(name: String, ready: Int, delayed: Int, leased: Int, dead: Int, oldestReadyAge: Duration?) {
        self.name = name
        self.ready = ready
        self.delayed = delayed
        self.leased = leased
        self.dead = dead
        self.oldestReadyAge = oldestReadyAge
    }
}

/// The whole store at one instant: every queue, dict, list, counter and event, and the
/// file sizes.
///
/// For example:
///
/// ```swift
/// let stats = try store.stats()
/// print(stats.queues.count, stats.databaseBytes + stats.walBytes)
/// ```
public struct StoreStats: Sendable, Hashable {
    /// Every queue that holds messages (ready, delayed or leased) or dead letters, sorted
    /// by name; a queue emptied of both is not listed.
    public let queues: [QueueStats]
    /// Dict names and how many keys each holds.
    public let dicts: [String: Int]
    /// List names and how many values each holds.
    public let lists: [String: Int]
    /// Counter names and their values.
    public let counters: [String: Int64]
    /// Event names and whether each is set (a cleared event stays listed, `false`,
    /// until it is dropped).
    public let events: [String: Bool]
    /// Bytes of the database file (0 if it does not exist).
    public let databaseBytes: Int64
    /// Bytes of the write-ahead log (`PATH-wal`), which grows between checkpoints.
    public let walBytes: Int64
    /// Bytes of the shared-memory index (`PATH-shm`).
    public let sharedMemoryBytes: Int64

    package init(queues: [QueueStats], dicts: [String: Int], lists: [String: Int], counters: [String: Int64],
                 events: [String: Bool], databaseBytes: Int64, walBytes: Int64, sharedMemoryBytes: Int64) {
        self.queues = queues
        self.dicts = dicts
        self.lists = lists
        self.counters = counters
        self.events = events
        self.databaseBytes = databaseBytes
        self.walBytes = walBytes
        self.sharedMemoryBytes = sharedMemoryBytes
    }
}

extension Store {
    /// Counts for every queue that holds messages or dead letters (a drained queue is
    /// not listed), the sizes of the shared dicts, lists and counters, the
    /// events and whether each is set, and the store's file sizes.
    ///
    /// All counts come from one read transaction, which does not block writers.
    ///
    /// For example:
    ///
    /// ```swift
    /// let ready = try store.stats().queues.reduce(0) { $0 + $1.ready }
    /// ```
    ///
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func stats() throws(DQError) -> StoreStats {
        try engine.stats()
    }
}

extension Store {
    /// `PRAGMA integrity_check`: `"ok"`, or SQLite's first problems, one per line.
    ///
    /// Reads the whole file, so it takes time on a large store; other processes keep
    /// working meanwhile.
    ///
    /// For example:
    ///
    /// ```swift
    /// let healthy = try store.integrityCheck() == "ok"
    /// ```
    ///
    /// - Throws: `DQError` `.badStore` if the file is too damaged to check;
    ///   `.storeUnavailable`, `.permissionDenied`, … if it cannot be read.
    public func integrityCheck() throws(DQError) -> String {
        try engine.integrityCheck()
    }
}
