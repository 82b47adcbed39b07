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
        try store.engine.setEvent(name, true)
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
        try store.engine.setEvent(name, false)
    }

    /// Deletes the event, so that it is clear again. Returns whether it existed.
    ///
    /// Like `clear()`, it does not end a `wait` (which waits for a set); unlike it,
    /// leaves nothing in the store.
    ///
    /// For example:
    ///
    /// ```swift
    /// try store.event("ready").drop()
    /// ```
    ///
    /// - Throws: `DQError` `.storeUnavailable` or `.timedOut` if it cannot be written.
    @discardableResult
    public func drop() throws(DQError) -> Bool {
        try store.engine.drop(event: name)
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
        try store.engine.isSet(name)
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
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func wait(timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Bool {
        try store.engine.wait(for: .event(name), timeout: timeout, interrupt: interrupt) { () throws(DQError) -> Bool? in
            try isSet() ? true : nil
        } ?? false
    }

    /// Async `wait(timeout:interrupt:)`: sleeps without holding a thread, and ends at
    /// once when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// if try await store.event("stop").wait(timeout: .seconds(1)) { return }
    /// ```
    ///
    /// - Returns: `true` once the event is set; `false` on timeout.
    /// - Throws: `DQError`; `.cancelled` if the task is cancelled while waiting.
    public func wait(timeout: Duration? = nil) async throws(DQError) -> Bool {
        try await store.engine.wait(for: .event(name), timeout: timeout) { () throws(DQError) -> Bool? in
            try isSet() ? true : nil
        } ?? false
    }

    /// Whether the event is set, now and after every change, for `for try await` (see
    /// `StoreValues`). Ends when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// for try await paused in store.event("paused").values() {
    ///     print(paused ? "paused" : "running")
    /// }
    /// ```
    public func values() -> StoreValues<Bool> {
        let event = self
        return StoreValues(subject: .event(name), store: store) { () throws(DQError) in
            let isSet = try event.isSet()
            return StoreValues.Reading(value: isSet, version: isSet ? 1 : 0)
        }
    }
}
