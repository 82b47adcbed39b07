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
        // The common case, one hash: this process has put there before.
        let known = last.withLock { table -> Int64? in
            guard let index = table.index(forKey: range) else { return nil }
            let id = max(now, table.values[index] &+ 1)
            table.values[index] = id
            return id
        }
        if let known { return known }
        let floor = try storedMaximum()
        return last.withLock { table in
            let id = max(now, max(floor, table[range] ?? Int64.min) &+ 1)
            table[range] = id
            return id
        }
    }

    /// Records that `id` was handed out for `queue` at `priority` (ids a transaction
    /// numbered itself, counting up from one `next`).
    func record(queue: String, priority: Int, id: Int64) {
        let range = Range(queue: queue, priority: priority)
        last.withLock { table in
            if let index = table.index(forKey: range) {
                table.values[index] = max(table.values[index], id)
            } else {
                table[range] = id
            }
        }
    }
}
