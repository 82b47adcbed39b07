import Synchronization

/// A named exclusive lock between processes, like `multiprocessing.Lock` but for any
/// processes on the machine: an advisory `flock` on `PATH-locks/<hash of the name>`,
/// which the kernel releases when the holder exits, however it exits. Threads of one
/// process take turns too.
///
/// Not reentrant: a thread that takes it again while holding it waits for itself
/// until the timeout (forever without one).
///
/// For example:
///
/// ```swift
/// let deploy = try store.lock("deploy")
/// try deploy.withLock(timeout: .seconds(30)) { try runMigrations() }
/// ```
public final class NamedLock: Sendable {
    /// The lock's name, as given to `Store.lock(_:)`.
    public let name: String
    private let lock: any EngineLock

    init(store: Store, name: String) throws(DQError) {
        self.name = name
        self.lock = try store.engine.namedLock(name)
    }

    /// Runs `body` holding the lock, waiting at most `timeout` for it (`nil`: as long
    /// as it takes).
    ///
    /// - Throws: `DQError.Kind.timedOut` if another holder kept it that long; otherwise
    ///   whatever `body` throws, as it is (the lock is released either way). For a
    ///   `throws(DQError)` caller, `lock(timeout:)` throws `DQError` alone.
    ///
    /// For example:
    ///
    /// ```swift
    /// let report = try lock.withLock(timeout: .seconds(5)) { try buildReport() }
    /// ```
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    @_disfavoredOverload  // a synchronous body in async code takes the async overload
    public func withLock<T>(timeout: Duration? = nil, _ body: () throws -> T) throws -> T {
        let hold = try acquire(timeout: timeout)
        defer { hold.release() }
        return try body()
    }

    /// `withLock(timeout:_:)` for a body that throws nothing or only `DQError`: then
    /// `withLock` throws `DQError` alone.
    ///
    /// For example:
    ///
    /// ```swift
    /// let total = try lock.withLock { () throws(DQError) in try counter.add(1) }
    /// ```
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    @_disfavoredOverload  // a synchronous body in async code takes the async overload
    public func withLock<T>(timeout: Duration? = nil, _ body: () throws(DQError) -> T) throws(DQError) -> T {
        let hold = try acquire(timeout: timeout)
        defer { hold.release() }
        return try body()
    }

    /// Takes the lock until `unlock()`; for holding it across calls (the `dq lock`
    /// command holds it while its command runs).
    ///
    /// If the process exits without calling `unlock()`, the kernel releases the lock.
    ///
    /// For example:
    ///
    /// ```swift
    /// let held = try lock.lock(timeout: .seconds(5))
    /// defer { held.unlock() }
    /// try runMigrations()
    /// ```
    ///
    /// - Throws: `DQError.Kind.timedOut` if another holder kept it for `timeout`;
    ///   `.storeUnavailable` if the lock file cannot be locked.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func lock(timeout: Duration? = nil) throws(DQError) -> Held {
        Held(hold: try acquire(timeout: timeout))
    }

    func acquire(timeout: Duration?) throws(DQError) -> any LockHold {
        do {
            return try lock.acquire(timeout: timeout)
        } catch where error.kind == .timedOut {
            throw DQError(.timedOut, "lock \(name) stayed taken by another process for \(timeout.map(DurationText.format) ?? "ever")")
        }
    }

    /// A taken lock; `unlock()` releases it, and later calls do nothing.
    ///
    /// For example:
    ///
    /// ```swift
    /// let held = try store.lock("deploy").lock()
    /// held.unlock()
    /// ```
    public final class Held: Sendable {
        private let hold: any LockHold
        /// Set by the first `unlock()`, so the hold is released (and its descriptor
        /// closed) exactly once.
        private let released = Atomic<Bool>(false)

        init(hold: any LockHold) {
            self.hold = hold
        }

        /// The descriptor whose open file holds the lock. A child process that inherits
        /// it (not closed on exec) keeps the lock held for as long as it, or anything it
        /// starts, keeps it open, even after this process is gone; `unlock()` releases
        /// it for all of them. After `unlock()` the number may name another file. `nil`
        /// when the store's engine does not lock through files.
        public var fileDescriptor: Int32? { hold.fileDescriptor }

        /// Releases the lock so the next waiter, in any process, can take it. Only the
        /// first call releases; later calls, from any thread, do nothing. It does not throw.
        ///
        /// For example:
        ///
        /// ```swift
        /// held.unlock()
        /// ```
        public func unlock() {
            guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            hold.release()
        }

        /// Has `body` called once, on another thread, if the lock is lost while held:
        /// on PostgreSQL when the connection holding it ends (a server restart, a broken
        /// network), after which another process may take it; work that relied on the
        /// lock should stop. Never on SQLite, where the kernel holds the lock until its
        /// holder exits, and never after `unlock()`.
        ///
        /// For example:
        ///
        /// ```swift
        /// held.whenLost { print("lost the deploy lock") }
        /// ```
        public func whenLost(_ body: @escaping @Sendable () -> Void) {
            hold.whenLost { [weak self] in
                if let self, !self.released.load(ordering: .acquiring) { body() }
            }
        }
    }
}
