/// A shared flag, like `multiprocessing.Event` but durable and between any processes:
/// set, clear, test, and wait until set (woken like a blocked `get`).
///
/// An event that was never set is clear.
///
/// For example:
///
/// ```swift
/// let ready = try store.event("ready")
/// try ready.set()                                    // in one process
/// let isReady = try ready.wait(timeout: .seconds(30))   // in another
/// ```
public struct Event: Sendable {
    /// The store that holds the event.
    public let store: Store
    /// The event's name, as given to `Store.event(_:)`.
    public let name: String

    init(store: Store, name: String) {
        self.store = store
        self.name = name
    }

    private var channel: String { Store.channel("event", name) }

    /// Sets the event (committed before this returns) and wakes every waiter.
    ///
    /// For example:
    ///
    /// ```swift
    /// try event.set()
    /// ```
    ///
    /// - Throws: `DQError` `.storeUnavailable` or `.timedOut` if it cannot be written.
    public func set() throws(DQError) {
        try write(true)
        store.doorbells.ring(channel)
    }

    /// Clears the event, so later `wait` calls block until it is set again.
    ///
    /// For example:
    ///
    /// ```swift
    /// try event.clear()
    /// ```
    ///
    /// - Throws: `DQError` `.storeUnavailable` or `.timedOut` if it cannot be written.
    public func clear() throws(DQError) {
        try write(false)
    }

    /// Whether the event is set now.
    ///
    /// For example:
    ///
    /// ```swift
    /// if try event.isSet() { print("ready") }
    /// ```
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` if the store cannot be read.
    public func isSet() throws(DQError) -> Bool {
        try store.read { connection in
            let read = try connection.cachedStatement("SELECT is_set FROM events WHERE name = ?1")
            defer { read.reset() }
            try read.bind(name, at: 1)
            return try read.step() && read.int64(at: 0) != 0
        }
    }

    /// Waits until the event is set. Returns `false` on timeout or interrupt.
    ///
    /// Returns at once if it is set already; otherwise sleeps on the event's doorbell.
    ///
    /// For example:
    ///
    /// ```swift
    /// guard try event.wait(timeout: .seconds(30)) else { return }
    /// ```
    ///
    /// - Parameters:
    ///   - timeout: how long to wait (`nil`: forever; `.zero`: not at all).
    ///   - interrupt: signalling it ends the wait early.
    /// - Throws: `DQError.Kind.storeUnavailable` if the store cannot be read.
    public func wait(timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Bool {
        try store.wait(on: channel, timeout: timeout, interrupt: interrupt) { () throws(DQError) -> Bool? in
            try isSet() ? true : nil
        } ?? false
    }

    private func write(_ value: Bool) throws(DQError) {
        try store.write { connection in
            let write = try connection.cachedStatement("""
                INSERT INTO events (name, is_set) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET is_set = excluded.is_set
                """)
            defer { write.reset() }
            try write.bind(name, at: 1)
            try write.bind(value ? 1 : 0, at: 2)
            try write.run()
        }
    }
}
