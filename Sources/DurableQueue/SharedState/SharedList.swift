import FoundationEssentials

/// A shared list of byte values, like `multiprocessing.Manager().list()` but durable:
/// appends from any process land atomically at the end, in commit order.
///
/// For example, workers collecting results:
///
/// ```swift
/// let results = try store.list("results")
/// try results.append("cat.png: 12 ms")
/// let all = try results.items().map { String(decoding: $0, as: UTF8.self) }
/// ```
public struct SharedList: Sendable {
    /// The store that holds the list.
    public let store: Store
    /// The list's name, as given to `Store.list(_:)`.
    public let name: String

    init(store: Store, name: String) {
        self.store = store
        self.name = name
    }

    private var channel: String { Store.channel("list", name) }

    /// Appends `values` in order, in one transaction. Returns the new length.
    ///
    /// For example:
    ///
    /// ```swift
    /// let length = try list.append(contentsOf: [Data("a".utf8), Data("b".utf8)])
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` if a value is over 256 MiB (nothing is
    ///   appended); `.storeUnavailable` or `.timedOut` if it cannot be written.
    @discardableResult
    public func append(contentsOf values: [Data]) throws(DQError) -> Int {
        for value in values where value.count > Queue.maxBodyBytes {
            throw DQError(.invalidArgument, "value is \(value.count) bytes; the limit is \(Queue.maxBodyBytes) (256 MiB)")
        }
        let count = try store.write { connection -> Int in
            let last = try connection.cachedStatement("SELECT max(position) FROM list_items WHERE list = ?1")
            try last.bind(name, at: 1)
            var position = try last.step() && !last.isNull(at: 0) ? last.int64(at: 0) : 0
            last.reset()
            let insert = try connection.cachedStatement("INSERT INTO list_items (list, position, value) VALUES (?1, ?2, ?3)")
            defer { insert.reset() }
            for value in values {
                position += 1
                insert.reset()
                try insert.bind(name, at: 1)
                try insert.bind(position, at: 2)
                try insert.bind(value, at: 3)
                try insert.run()
            }
            return try Self.count(connection, list: name)
        }
        store.doorbells.ring(channel)
        return count
    }

    /// Appends `value` at the end. Returns the new length.
    ///
    /// For example:
    ///
    /// ```swift
    /// try list.append(Data([0, 1, 2]))
    /// ```
    ///
    /// - Throws: `DQError` as for `append(contentsOf:)`.
    @discardableResult
    public func append(_ value: Data) throws(DQError) -> Int {
        try append(contentsOf: [value])
    }

    /// Appends `text` as UTF-8 at the end. Returns the new length.
    ///
    /// For example:
    ///
    /// ```swift
    /// let length = try list.append("done")
    /// ```
    ///
    /// - Throws: `DQError` as for `append(contentsOf:)`.
    @discardableResult
    public func append(_ text: String) throws(DQError) -> Int {
        try append(Data(text.utf8))
    }

    /// Every value, first appended first, from one read transaction.
    ///
    /// For example:
    ///
    /// ```swift
    /// let values = try list.items()
    /// ```
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` if the store cannot be read.
    public func items() throws(DQError) -> [Data] {
        try store.read { connection in
            let list = try connection.cachedStatement("SELECT value FROM list_items WHERE list = ?1 ORDER BY position")
            defer { list.reset() }
            try list.bind(name, at: 1)
            var values: [Data] = []
            while try list.step() { values.append(list.data(at: 0)) }
            return values
        }
    }

    /// How many values the list holds.
    ///
    /// For example:
    ///
    /// ```swift
    /// let length = try list.count()
    /// ```
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` if the store cannot be read.
    public func count() throws(DQError) -> Int {
        try store.read { try Self.count($0, list: name) }
    }

    /// Removes and returns the last value (like Python's `list.pop()`), or `nil` if the
    /// list is empty.
    ///
    /// Read and delete are one transaction, so two processes never pop the same value.
    ///
    /// For example:
    ///
    /// ```swift
    /// let last = try list.pop()
    /// ```
    ///
    /// - Throws: `DQError` `.storeUnavailable` or `.timedOut` if it cannot be written.
    @discardableResult
    public func pop() throws(DQError) -> Data? {
        let value = try store.write { connection -> Data? in
            let last = try connection.cachedStatement("""
                SELECT position, value FROM list_items WHERE list = ?1 ORDER BY position DESC LIMIT 1
                """)
            try last.bind(name, at: 1)
            guard try last.step() else { last.reset(); return nil }
            let position = last.int64(at: 0)
            let value = last.data(at: 1)
            last.reset()
            let delete = try connection.cachedStatement("DELETE FROM list_items WHERE list = ?1 AND position = ?2")
            defer { delete.reset() }
            try delete.bind(name, at: 1)
            try delete.bind(position, at: 2)
            try delete.run()
            return value
        }
        if value != nil { store.doorbells.ring(channel) }
        return value
    }

    static func count(_ connection: Connection, list: String) throws -> Int {
        let count = try connection.cachedStatement("SELECT count(*) FROM list_items WHERE list = ?1")
        defer { count.reset() }
        try count.bind(list, at: 1)
        return try count.step() ? count.int(at: 0) : 0
    }
}
