import Synchronization

/// Hands out message ids: nanoseconds of wall-clock time at the put, bumped so that
/// within a queue and priority every id is larger than any this process has seen
/// there. Ids are therefore unique and increase in commit order: writers are
/// serialized by SQLite's write lock and read the clock inside their transaction.
/// (A wall clock stepped backwards could reorder two *different* processes' puts
/// by up to the step; one producer's order is always kept.)
///
/// Ids are assigned in Swift, not by SQLite, because `messages` is clustered by
/// `(queue, priority, id)`: one b-tree page per put, no secondary index.
final class MessageIDs: Sendable {
    private struct Range: Hashable {
        let queue: String
        let priority: Int
    }

    private let last = Mutex<[Range: Int64]>([:])

    /// The next id for `queue` at `priority`. `storedMaximum` reads the largest id
    /// the store holds in that range; it runs the first time this process puts there.
    func next(queue: String, priority: Int, now: Int64, storedMaximum: () throws -> Int64) throws -> Int64 {
        let range = Range(queue: queue, priority: priority)
        let known = last.withLock { $0[range] }
        let floor = try known ?? storedMaximum()
        return last.withLock { table in
            let previous = max(floor, table[range] ?? Int64.min)
            let id = max(now, previous &+ 1)
            table[range] = id
            return id
        }
    }

    /// Records that `id` was handed out for `queue` at `priority` (ids a transaction
    /// numbered itself, counting up from one `next`).
    func record(queue: String, priority: Int, id: Int64) {
        let range = Range(queue: queue, priority: priority)
        last.withLock { table in table[range] = max(table[range] ?? Int64.min, id) }
    }
}
