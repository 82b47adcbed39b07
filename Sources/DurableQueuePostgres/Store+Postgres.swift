import DurableQueue
import FoundationEssentials

extension Store {
    /// Opens the store kept on the PostgreSQL server at `address` (SPEC, "Engines"):
    /// connects, and creates or migrates the schema `dq` on first use.
    ///
    /// For example:
    ///
    /// ```swift
    /// let store = try Store(postgres: "postgres://dq@db.internal/jobs?sslmode=require")
    /// try store.queue("jobs").put("resize cat.png")
    /// ```
    ///
    /// - Throws: `DQError` with kind `.invalidArgument` for an address that does not parse;
    ///   `.storeUnavailable` when the server cannot be reached or refuses the login (the
    ///   message names the address without its password); `.badStore` for a schema written
    ///   by a newer dq.
    public convenience init(postgres address: String, options: StoreOptions = StoreOptions()) throws(DQError) {
        let parsed = try PostgresAddress(address)
        self.init(engine: try PostgresEngine(address: parsed, options: options), options: options)
    }

    /// Opens the store `location` names, whichever engine keeps it: a `postgres://` or
    /// `postgresql://` address opens it on PostgreSQL, anything else is a SQLite file path;
    /// `nil` means `$DQ_DB`, else the per-user default file.
    ///
    /// For example:
    ///
    /// ```swift
    /// let store = try Store.open(CommandLine.arguments.dropFirst().first)
    /// ```
    public static func open(_ location: String?, options: StoreOptions = StoreOptions()) throws(DQError) -> Store {
        let location = location ?? StoreLocation.defaultPath(environment: ProcessInfo.processInfo.environment)
        if PostgresAddress.isAddress(location) { return try Store(postgres: location, options: options) }
        return try Store(path: location, options: options)
    }
}
