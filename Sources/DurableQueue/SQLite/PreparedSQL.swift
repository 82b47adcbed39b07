import Synchronization

/// SQL that a connection prepares once and then finds by a slot number instead of by
/// hashing its text: for the statements every put and get runs.
///
/// For example:
///
/// ```swift
/// static let count = PreparedSQL("SELECT count(*) FROM messages")
/// let statement = try connection.cachedStatement(count)
/// ```
final class PreparedSQL: Sendable {
    let text: String
    /// This SQL's index in every connection's statement slots.
    let slot: Int

    init(_ text: String) {
        self.text = text
        slot = Self.slots.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    private static let slots = Atomic<Int>(0)
}
