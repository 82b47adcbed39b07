extension Store {
    /// The SQLite engine of a store opened on a file: for tests and for tools that
    /// inspect the SQLite file itself.
    var sqlite: SQLiteEngine {
        guard let engine = engine as? SQLiteEngine else { preconditionFailure("\(path) is not kept by the SQLite engine") }
        return engine
    }
}
