/// Where `dq bench` makes the stores it measures: every run of a workload or floor gets a
/// fresh one, so no run sees another's rows, and all are removed when the bench ends.
protocol BenchStores: AnyObject {
    /// A new, empty store for the run `name` (such as `floor-W1`): what `--db` and
    /// `Store.open` take.
    func fresh(_ name: String) throws -> String
    /// Where the stores are made, for the table's header.
    var description: String { get }
    /// How commits are made durable there, for the table's header.
    func durability(_ sync: String) -> String
    /// Removes every store made.
    func removeAll()
}
