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
        try store.engine.add(amount, to: name)
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
        try store.engine.value(of: name)
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
        try store.engine.set(name, to: value)
    }

    /// Deletes the counter, so that it reads 0 again. Returns whether it existed.
    ///
    /// Wakes waiters, like `set(0)`; unlike it, leaves nothing in the store.
    ///
    /// For example:
    ///
    /// ```swift
    /// try store.counter("done").drop()
    /// ```
    ///
    /// - Throws: `DQError` `.storeUnavailable` or `.timedOut` if it cannot be written.
    @discardableResult
    public func drop() throws(DQError) -> Bool {
        try store.engine.drop(counter: name)
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
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func wait(atLeast target: Int64, timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Int64? {
        try store.engine.wait(for: .counter(name), timeout: timeout, interrupt: interrupt) { () throws(DQError) -> Int64? in
            let value = try get()
            return value >= target ? value : nil
        }
    }

    /// Async `wait(atLeast:timeout:interrupt:)`: sleeps without holding a thread (so
    /// the task that would add is never starved), and ends at once when the task is
    /// cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// let arrived = try await store.counter("arrived").wait(atLeast: 4, timeout: .seconds(60))
    /// ```
    ///
    /// - Throws: `DQError`; `.cancelled` if the task is cancelled while waiting.
    public func wait(atLeast target: Int64, timeout: Duration? = nil) async throws(DQError) -> Int64? {
        try await store.engine.wait(for: .counter(name), timeout: timeout) { () throws(DQError) -> Int64? in
            let value = try get()
            return value >= target ? value : nil
        }
    }

    /// The counter's value now and after every change, for `for try await` (see
    /// `StoreValues`). Ends when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// for try await done in store.counter("done").values() {
    ///     print("\(done) jobs done")
    /// }
    /// ```
    public func values() -> StoreValues<Int64> {
        let counter = self
        return StoreValues(subject: .counter(name), store: store) { () throws(DQError) in
            let value = try counter.get()
            return StoreValues.Reading(value: value, version: value)
        }
    }
}
