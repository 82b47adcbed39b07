import FoundationEssentials

/// What became of a dict key that changed (`Dict.waitForChange(of:timeout:)`).
public enum KeyChange: Sendable, Equatable {
    /// The key was written (possibly with the value it had).
    case set(Data)
    /// The key was deleted.
    case removed

    /// The new value; `nil` when removed.
    public var value: Data? {
        if case .set(let value) = self { return value }
        return nil
    }
}

extension Dict {
    /// Waits until `key` exists, and returns its value; `nil` on timeout or interrupt.
    ///
    /// Sleeps on the key's doorbell between looks, like a blocked `Queue.get`. Blocks
    /// its thread: in async code, use the async overload.
    ///
    /// For example:
    ///
    /// ```swift
    /// let address = try dict.wait(for: "address", timeout: .seconds(10))
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` for a bad key; `.storeUnavailable` if the
    ///   store cannot be read.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func wait(for key: String, timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Data? {
        try Self.validate(key: key)
        return try store.engine.wait(for: .dictKey(dict: name, key: key), timeout: timeout, interrupt: interrupt) {
            () throws(DQError) in try get(key)
        }
    }

    /// Async `wait(for:timeout:interrupt:)`: sleeps without holding a thread, and ends
    /// at once when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// let token = try await dict.wait(for: "token", timeout: .seconds(30))
    /// ```
    ///
    /// - Throws: `DQError`; `.cancelled` if the task is cancelled while waiting.
    public func wait(for key: String, timeout: Duration? = nil) async throws(DQError) -> Data? {
        try Self.validate(key: key)
        return try await store.engine.wait(for: .dictKey(dict: name, key: key), timeout: timeout) {
            () throws(DQError) in try get(key)
        }
    }

    /// Waits until `key` changes from what it is now (set to another version, or
    /// removed), and says how; `nil` on timeout or interrupt.
    ///
    /// Setting the key to the same value counts as a change. Blocks its thread: in async
    /// code, use the async overload.
    ///
    /// For example:
    ///
    /// ```swift
    /// if let change = try dict.waitForChange(of: "mode", timeout: .seconds(60)) {
    ///     print(change.value.map { String(decoding: $0, as: UTF8.self) } ?? "removed")
    /// }
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` for a bad key; `.storeUnavailable` if the
    ///   store cannot be read.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func waitForChange(of key: String, timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> KeyChange? {
        try Self.validate(key: key)
        let before = try store.engine.entry(key, in: name)?.version
        return try store.engine.wait(for: .dictKey(dict: name, key: key), timeout: timeout, interrupt: interrupt) {
            () throws(DQError) in try change(of: key, since: before)
        }
    }

    /// Async `waitForChange(of:timeout:interrupt:)`: sleeps without holding a thread,
    /// and ends at once when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// if let change = try await dict.waitForChange(of: "config", timeout: .seconds(60)) {
    ///     print(change == .removed ? "deleted" : "changed")
    /// }
    /// ```
    ///
    /// - Returns: how the key changed, or `nil` on timeout.
    /// - Throws: `DQError`; `.cancelled` if the task is cancelled while waiting.
    public func waitForChange(of key: String, timeout: Duration? = nil) async throws(DQError) -> KeyChange? {
        try Self.validate(key: key)
        let before = try store.engine.entry(key, in: name)?.version
        return try await store.engine.wait(for: .dictKey(dict: name, key: key), timeout: timeout) {
            () throws(DQError) in try change(of: key, since: before)
        }
    }

    /// How `key` differs from the entry version `before` (`nil`: absent then), if it does.
    private func change(of key: String, since before: Int64?) throws(DQError) -> KeyChange? {
        let now = try store.engine.entry(key, in: name)
        if now?.version == before { return nil }
        return now.map { .set($0.value) } ?? .removed
    }

    /// The key's value now and after every change, for `for try await`: its first
    /// element is the current value (`nil`: absent), then one per change seen. Changes
    /// that come faster than the loop reads may be seen as one (the latest value), as
    /// GRDB's `ValueObservation` does. Ends when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// for try await mode in try store.dict("config").values(of: "mode") {
    ///     apply(mode)
    /// }
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` for a bad key (at once); the sequence
    ///   throws `DQError` if the store fails.
    public func values(of key: String) throws(DQError) -> StoreValues<Data?> {
        try Self.validate(key: key)
        let dict = self
        return StoreValues(subject: .dictKey(dict: name, key: key), store: store) { () throws(DQError) in
            let entry = try dict.store.engine.entry(key, in: dict.name)
            return StoreValues.Reading(value: entry?.value, version: entry?.version)
        }
    }
}
