import FoundationEssentials

/// A named lock (`Store.lock(_:)`, `dq lock NAME`) that a process holds now, as an
/// operator's view shows it.
public struct HeldLock: Sendable, Hashable {
    /// The lock's name; `nil` on SQLite for a lock file made by a dq older than this
    /// listing, until the lock is taken again. (PostgreSQL lists only the keys whose
    /// names dq recorded.)
    public let name: String?
    /// The process that took it: on SQLite the kernel's record of the `flock` (a process
    /// in another PID namespace is not shown, nor its lock); on PostgreSQL the dq process
    /// whose connection holds the advisory lock. `nil` when unknown (a connection that is
    /// not dq's).
    public let pid: Int32?
    /// On PostgreSQL, the address the holding connection came from (`nil` for a unix
    /// socket, and on SQLite, where every holder is on this machine).
    public let host: String?
    /// When it was taken, where the engine records it (on PostgreSQL by the server's
    /// clock, given here as this machine's time).
    public let since: Date?
    /// How many waiters the kernel or server shows for it: on SQLite one per waiting
    /// process (and, for a while, one for a `dq lock --timeout` that gave up, until its
    /// helper thread gets and drops the lock); on PostgreSQL one per waiting connection.
    public let waiting: Int

    /// How long it has been held at `now`; `nil` when `since` is unknown.
    ///
    /// For example:
    ///
    /// ```swift
    /// let held = lock.held(at: Date()).map(DurationText.format) ?? "?"
    /// ```
    public func held(at now: Date) -> Duration? {
        since.map { .microseconds(max(0, Timestamp.microseconds(of: now) - Timestamp.microseconds(of: $0))) }
    }

    package init(name: String?, pid: Int32?, host: String?, since: Date?, waiting: Int) {
        self.name = name
        self.pid = pid
        self.host = host
        self.since = since
        self.waiting = waiting
    }
}

extension Store {
    /// The named locks held now, by name (`nil` names last), each with its holder's
    /// pid and how many wait for it. A look, not a lock: it takes and waits for nothing.
    ///
    /// For example:
    ///
    /// ```swift
    /// for lock in try store.heldLocks() {
    ///     print(lock.name ?? "?", lock.pid.map(String.init) ?? "?", lock.waiting)
    /// }
    /// ```
    ///
    /// - Throws: `DQError` if the store cannot be read.
    public func heldLocks() throws(DQError) -> [HeldLock] {
        try engine.heldLocks().sorted { ($0.name ?? "\u{10FFFF}", $0.pid ?? 0) < ($1.name ?? "\u{10FFFF}", $1.pid ?? 0) }
    }
}
