/// A shared integer, like `multiprocessing.Value('i')` but durable: `add` is atomic
/// across processes and returns the new value. An absent counter reads as 0.
///
/// For example, counting finished jobs from many workers:
///
/// ```swift
/// let done = try store.counter("done")
/// let total = try done.add()
/// ```
public struct Counter: Sendable {
    /// The store that holds the counter.
    public let store: Store
    /// The counter's name, as given to `Store.counter(_:)`.
    public let name: String

    init(store: Store, name: String) {
        self.store = store
        self.name = name
    }

    private var channel: String { Store.channel("counter", name) }

    /// Adds `amount` (may be negative) and returns the new value.
    ///
    /// Read and write are one transaction, so concurrent adds from any processes
    /// never lose an update. Wakes processes waiting in `wait(atLeast:timeout:interrupt:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// let remaining = try counter.add(-1)
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` if the result would overflow 64 bits
    ///   (nothing changes); `.storeUnavailable` or `.timedOut` if it cannot be written.
    @discardableResult
    public func add(_ amount: Int64 = 1) throws(DQError) -> Int64 {
        let value = try store.write { connection -> Int64 in
            let current = try Self.read(connection, name: name)
            let (sum, overflow) = current.addingReportingOverflow(amount)
            if overflow { throw DQError(.invalidArgument, "counter \(name) would overflow (\(current) + \(amount))") }
            try Self.write(connection, name: name, value: sum)
            return sum
        }
        store.doorbells.ring(channel)
        return value
    }

    /// The counter's current value (0 if it was never set).
    ///
    /// For example:
    ///
    /// ```swift
    /// let value = try counter.get()
    /// ```
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` if the store cannot be read.
    public func get() throws(DQError) -> Int64 {
        try store.read { try Self.read($0, name: name) }
    }

    /// Sets the counter to `value`, committed before this returns, and wakes waiters.
    ///
    /// For example:
    ///
    /// ```swift
    /// try counter.set(0)
    /// ```
    ///
    /// - Throws: `DQError` `.storeUnavailable` or `.timedOut` if it cannot be written.
    public func set(_ value: Int64) throws(DQError) {
        try store.write { try Self.write($0, name: name, value: value) }
        store.doorbells.ring(channel)
    }

    /// Waits until the counter is at least `target` (a barrier) and returns its value;
    /// `nil` on timeout or interrupt.
    ///
    /// Sleeps on the counter's doorbell between looks, like a blocked `Queue.get`.
    ///
    /// For example, wait until all four workers have checked in:
    ///
    /// ```swift
    /// let arrived = try store.counter("arrived").wait(atLeast: 4, timeout: .seconds(60))
    /// ```
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` if the store cannot be read.
    public func wait(atLeast target: Int64, timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Int64? {
        try store.wait(on: channel, timeout: timeout, interrupt: interrupt) { () throws(DQError) -> Int64? in
            let value = try get()
            return value >= target ? value : nil
        }
    }

    static func read(_ connection: Connection, name: String) throws -> Int64 {
        let read = try connection.cachedStatement("SELECT value FROM counters WHERE name = ?1")
        defer { read.reset() }
        try read.bind(name, at: 1)
        return try read.step() ? read.int64(at: 0) : 0
    }

    static func write(_ connection: Connection, name: String, value: Int64) throws {
        let write = try connection.cachedStatement("""
            INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """)
        defer { write.reset() }
        try write.bind(name, at: 1)
        try write.bind(value, at: 2)
        try write.run()
    }
}
