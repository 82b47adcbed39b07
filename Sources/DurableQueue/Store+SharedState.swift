extension Store {
    /// The shared dictionary called `name` (1–200 bytes of UTF-8, no control characters).
    public func dict(_ name: String) throws(DQError) -> Dict {
        try Names.validate(name, what: "dict name")
        return Dict(store: self, name: name)
    }

    /// The shared list called `name`.
    public func list(_ name: String) throws(DQError) -> SharedList {
        try Names.validate(name, what: "list name")
        return SharedList(store: self, name: name)
    }

    /// The shared counter called `name`.
    public func counter(_ name: String) throws(DQError) -> Counter {
        try Names.validate(name, what: "counter name")
        return Counter(store: self, name: name)
    }

    /// The event called `name`.
    public func event(_ name: String) throws(DQError) -> Event {
        try Names.validate(name, what: "event name")
        return Event(store: self, name: name)
    }

    /// The lock called `name`.
    public func lock(_ name: String) throws(DQError) -> NamedLock {
        try Names.validate(name, what: "lock name")
        return try NamedLock(store: self, name: name)
    }
}
