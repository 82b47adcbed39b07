import FoundationEssentials

/// A shared dictionary of string keys to bytes, like `multiprocessing.Manager().dict()`
/// but durable and shared by any process that opens the store. Every call is one
/// transaction, so updates are atomic across processes.
///
/// Keys are 1–1,024 bytes of UTF-8; values are up to 256 MiB.
///
/// For example:
///
/// ```swift
/// let config = try store.dict("config")
/// try config.set("mode", "fast")
/// let mode = try config.get("mode").map { String(decoding: $0, as: UTF8.self) }
/// ```
public struct Dict: Sendable {
    /// The store that holds the dict.
    public let store: Store
    /// The dict's name, as given to `Store.dict(_:)`.
    public let name: String

    /// The longest key, in UTF-8 bytes.
    public static let maxKeyBytes = 1_024

    init(store: Store, name: String) {
        self.store = store
        self.name = name
    }

    static func validate(key: String) throws(DQError) {
        if key.isEmpty { throw DQError(.invalidArgument, "key is empty") }
        if key.utf8.count > maxKeyBytes {
            throw DQError(.invalidArgument, "key is \(key.utf8.count) bytes long; the limit is \(maxKeyBytes)")
        }
    }


    /// The value of `key`, or `nil` if it is absent.
    ///
    /// For example:
    ///
    /// ```swift
    /// let token = try dict.get("token")
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` for an empty or over-long key;
    ///   `.storeUnavailable`, `.permissionDenied`, … if the store cannot be read.
    public func get(_ key: String) throws(DQError) -> Data? {
        try Self.validate(key: key)
        return try store.engine.entry(key, in: name)?.value
    }

    /// The value of `key` decoded from JSON, or `nil` if it is absent.
    ///
    /// For example, with `struct Settings: Codable { var workers: Int }`:
    ///
    /// ```swift
    /// let settings = try dict.get("settings", as: Settings.self)
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidData` if the value is not JSON of a `T` (it is left
    ///   as it is); otherwise as for `get(_:)`.
    public func get<T: Decodable>(_ key: String, as type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws(DQError) -> T? {
        guard let data = try get(key) else { return nil }
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw DQError(decoding: error, "key \"\(key)\" in dict \"\(name)\"", as: type)
        }
    }

    /// Sets `key` to `value`, replacing any value it had; committed before this returns.
    ///
    /// Wakes processes waiting in `wait(for:timeout:interrupt:)` or
    /// `waitForChange(of:timeout:interrupt:)` on `key`.
    ///
    /// For example:
    ///
    /// ```swift
    /// try dict.set("avatar", Data([0x89, 0x50, 0x4E, 0x47]))
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` for a bad key or a value over 256 MiB;
    ///   `.diskFull`, `.permissionDenied`, … or `.timedOut` if it cannot be written.
    public func set(_ key: String, _ value: Data) throws(DQError) {
        try Self.validate(key: key)
        try checkSize(value)
        try store.engine.setEntry(key, in: name, to: value)
    }

    /// Sets `key` to `text` as UTF-8.
    ///
    /// For example:
    ///
    /// ```swift
    /// try dict.set("mode", "fast")
    /// ```
    ///
    /// - Throws: `DQError` as for `set(_:_:)` with `Data`.
    public func set(_ key: String, _ text: String) throws(DQError) {
        try set(key, Data(text.utf8))
    }

    /// Sets `key` to `value` encoded as JSON; read it back with `get(_:as:decoder:)`.
    ///
    /// For example:
    ///
    /// ```swift
    /// try dict.set("limits", json: ["workers": 4, "retries": 3])
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` if `value` cannot be encoded; otherwise
    ///   as for `set(_:_:)` with `Data`.
    public func set<T: Encodable>(_ key: String, json value: T, encoder: JSONEncoder = JSONEncoder()) throws(DQError) {
        let data: Data
        do { data = try encoder.encode(value) } catch { throw DQError(encoding: error, "the value of \"\(key)\"") }
        try set(key, data)
    }

    /// Removes `key`. Returns whether it was there.
    ///
    /// Wakes processes waiting in `waitForChange(of:timeout:interrupt:)` on `key`.
    ///
    /// For example:
    ///
    /// ```swift
    /// let existed = try dict.delete("token")
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` for a bad key; `.diskFull`,
    ///   `.permissionDenied`, … or `.timedOut` if it cannot be written.
    @discardableResult
    public func delete(_ key: String) throws(DQError) -> Bool {
        try Self.validate(key: key)
        // Only an existing key is deleted (and its waiters woken).
        return try change(key) { $0 == nil ? .none : .some(nil) }
    }

    /// Removes every key, in one transaction. Returns how many there were.
    ///
    /// Wakes processes waiting in `waitForChange(of:timeout:interrupt:)` on any of them.
    ///
    /// For example:
    ///
    /// ```swift
    /// let removed = try store.dict("session").drop()
    /// ```
    ///
    /// - Throws: `DQError` (`.diskFull`, `.permissionDenied`, `.timedOut`, …) if it cannot
    ///   be written.
    @discardableResult
    public func drop() throws(DQError) -> Int {
        try store.engine.drop(dict: name)
    }

    /// Every key, sorted (by UTF-8 bytes), from one read transaction.
    ///
    /// For example:
    ///
    /// ```swift
    /// let names = try dict.keys()
    /// ```
    ///
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func keys() throws(DQError) -> [String] {
        try items().map(\.key)
    }

    /// Every key and value, sorted by key, from one read transaction: a consistent
    /// snapshot.
    ///
    /// For example:
    ///
    /// ```swift
    /// for (key, value) in try dict.items() { print(key, value.count) }
    /// ```
    ///
    /// - Throws: `DQError` (`.storeUnavailable`, `.permissionDenied`, …) if the store
    ///   cannot be read.
    public func items() throws(DQError) -> [(key: String, value: Data)] {
        try store.engine.entries(of: name)
    }

    /// Sets `key` to `new` (or removes it, for `nil`) only if its value is `expected`
    /// (`nil`: absent). Returns whether it did.
    ///
    /// The compare and the set are one transaction, so of several processes racing
    /// with the same `expected`, exactly one wins.
    ///
    /// For example, claim leadership if nobody holds it:
    ///
    /// ```swift
    /// let won = try dict.compareAndSet("leader", expected: nil, new: Data("worker-1".utf8))
    /// ```
    ///
    /// - Throws: `DQError` `.invalidArgument` for a bad key or an over-size `new`;
    ///   `.diskFull`, `.permissionDenied`, … or `.timedOut` if it cannot be written.
    public func compareAndSet(_ key: String, expected: Data?, new: Data?) throws(DQError) -> Bool {
        try Self.validate(key: key)
        if let new { try checkSize(new) }
        return try change(key) { $0 == expected ? .some(new) : .none }
    }

    /// Reads `key`, computes its new value with `transform` (`nil` removes it) and
    /// writes it, all in one transaction: no other process's update comes between.
    ///
    /// `transform` runs holding the store's write lock: keep it short, and do not use
    /// the store inside it.
    ///
    /// For example, an increment stored as text:
    ///
    /// ```swift
    /// try dict.update("hits") { old in
    ///     let hits = old.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
    ///     return Data(String(hits + 1).utf8)
    /// }
    /// ```
    ///
    /// - Returns: the value written (`nil` if removed).
    ///
    /// - Throws: what `transform` throws (nothing is written then), or `DQError`.
    @discardableResult
    public func update(_ key: String, _ transform: (Data?) throws -> Data?) throws -> Data? {
        try Self.validate(key: key)
        var result: Data?
        _ = try store.engine.updateEntry(key, in: name) { current in
            let new = try transform(current)
            if let new, new.count > Queue.maxBodyBytes { throw DQError(.invalidArgument, "value is too large") }
            result = new
            return .some(new)
        }
        return result
    }

    private func checkSize(_ value: Data) throws(DQError) {
        if value.count > Queue.maxBodyBytes {
            throw DQError(.invalidArgument, "value is \(value.count) bytes; the limit is \(Queue.maxBodyBytes) (256 MiB)")
        }
    }

    /// `StoreEngine.updateEntry` with a transform that does not throw.
    private func change(_ key: String, _ transform: (Data?) -> Data??) throws(DQError) -> Bool {
        do {
            return try store.engine.updateEntry(key, in: name, transform)
        } catch let error as DQError {
            throw error
        } catch {
            throw DQError(.internalError, "\(error)")
        }
    }
}
