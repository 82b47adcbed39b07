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

    /// Appends `values` in order, in one transaction. Returns the new length.
    ///
    /// For example:
    ///
    /// ```swift
    /// let length = try list.append(contentsOf: [Data("a".utf8), Data("b".utf8)])
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` if a value is over 256 MiB (nothing is
    ///   appended); `.diskFull`, `.permissionDenied`, … or `.timedOut` if it
    ///   cannot be written.
    @discardableResult
    public func append(contentsOf values: [Data]) throws(DQError) -> Int {
        for value in values where value.count > Queue.maxBodyBytes {
            throw DQError(.invalidArgument, "value is \(value.count) bytes; the limit is \(Queue.maxBodyBytes) (256 MiB)")
        }
        return try store.engine.append(values, to: name)
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
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func items() throws(DQError) -> [Data] {
        try store.engine.values(of: name)
    }

    /// How many values the list holds.
    ///
    /// For example:
    ///
    /// ```swift
    /// let length = try list.count()
    /// ```
    ///
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func count() throws(DQError) -> Int {
        try store.engine.length(of: name)
    }

    /// Removes every value, in one transaction. Returns how many there were.
    ///
    /// For example:
    ///
    /// ```swift
    /// let removed = try store.list("results").drop()
    /// ```
    ///
    /// - Throws: `DQError` (`.diskFull`, `.permissionDenied`, `.timedOut`, …) if it cannot
    ///   be written.
    @discardableResult
    public func drop() throws(DQError) -> Int {
        try store.engine.drop(list: name)
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
    /// - Throws: `DQError` (`.diskFull`, `.permissionDenied`, `.timedOut`, …) if it cannot
    ///   be written.
    @discardableResult
    public func pop() throws(DQError) -> Data? {
        try store.engine.popLast(of: name)
    }
}
