extension Store {
    /// The shared dictionary called `name` (1–200 bytes of UTF-8, no control characters).
    ///
    /// Nothing is written: a dict exists while it holds keys.
    ///
    /// For example:
    ///
    /// ```swift
    /// let config = try store.dict("config")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name.
    public func dict(_ name: String) throws(DQError) -> Dict {
        try Names.validate(name, what: "dict name")
        return Dict(store: self, name: name)
    }

    /// The shared list called `name` (1–200 bytes of UTF-8, no control characters).
    ///
    /// Nothing is written: a list exists while it holds values.
    ///
    /// For example:
    ///
    /// ```swift
    /// let results = try store.list("results")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name.
    public func list(_ name: String) throws(DQError) -> SharedList {
        try Names.validate(name, what: "list name")
        return SharedList(store: self, name: name)
    }

    /// The shared counter called `name` (1–200 bytes of UTF-8, no control characters).
    ///
    /// Nothing is written: a counter that was never set reads as 0.
    ///
    /// For example:
    ///
    /// ```swift
    /// let done = try store.counter("done")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name.
    public func counter(_ name: String) throws(DQError) -> Counter {
        try Names.validate(name, what: "counter name")
        return Counter(store: self, name: name)
    }

    /// The event called `name` (1–200 bytes of UTF-8, no control characters).
    ///
    /// Nothing is written: an event that was never set is clear.
    ///
    /// For example:
    ///
    /// ```swift
    /// let ready = try store.event("ready")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name.
    public func event(_ name: String) throws(DQError) -> Event {
        try Names.validate(name, what: "event name")
        return Event(store: self, name: name)
    }

    /// The lock called `name` (1–200 bytes of UTF-8, no control characters).
    ///
    /// Opens (creating if needed) the lock's file in the `PATH-locks` directory; the
    /// lock itself is only taken by `NamedLock.withLock(timeout:_:)` or
    /// `NamedLock.lock(timeout:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// let deploy = try store.lock("deploy")
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` for a bad name; `.permissionDenied`,
    ///   `.diskFull`, `.resourceExhausted` or `.storeUnavailable` if the lock directory or
    ///   file cannot be created.
    public func lock(_ name: String) throws(DQError) -> NamedLock {
        try Names.validate(name, what: "lock name")
        return try NamedLock(store: self, name: name)
    }
}
