/// What `Queue.move(to:limit:dead:)` did.
///
/// For example:
///
/// ```swift
/// let result = try failed.move(to: retry, dead: true)
/// print("\(result.moved) moved, \(result.duplicates) dropped as duplicates")
/// ```
public struct MoveResult: Sendable, Hashable {
    /// Messages now in the destination queue.
    public let moved: Int
    /// Messages taken from the source but not added: the destination already held a
    /// message with the same dedup key, which stays as it was.
    public let duplicates: Int

    package init(moved: Int, duplicates: Int) {
        self.moved = moved
        self.duplicates = duplicates
    }
}
