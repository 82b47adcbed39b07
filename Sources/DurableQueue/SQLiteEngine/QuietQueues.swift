import Synchronization

/// Queues this process knows to have held nothing deliverable as of some commit count of
/// their doorbell slot (`Doorbells.writeCount(of:)`): a waiting reader whose slot still
/// counts the same trusts that instead of reading the store. A stream-group subscriber
/// learns it with an entry handed to it (`StreamHandoffs.Quiet`: the publisher looked
/// at the group's queue and wrote nothing to it), so its next get sits down without a
/// read transaction.
///
/// Why that is safe: every commit that could make a message deliverable is counted after
/// it commits and before its writer reads the waiters (`Doorbells.ringAfterCommit`), and
/// a reader counts itself waiting before it reads the count. So a commit the look did
/// not see has either been counted (the look is not trusted) or rings for this reader.
/// Time alone makes nothing deliverable before the look's due time.
final class QuietQueues: Sendable {
    /// Forgotten all at once past this many (a process reading many groups once each).
    private static let limit = 64
    private let quiet = Mutex<[String: StreamHandoffs.Quiet]>([:])

    /// Notes that `queue` holds nothing deliverable before `quiet.due` while its slot
    /// counts `quiet.writes`.
    func remember(_ queue: String, _ quiet: StreamHandoffs.Quiet) {
        self.quiet.withLock { known in
            if known.count >= Self.limit { known.removeAll() }
            known[queue] = quiet
        }
    }

    /// What `remember` noted for `queue` (then forgotten) as a look, if its slot counts
    /// `writes()` now and nothing has fallen due: `nil` if the store must be read.
    func take(_ queue: String, writes: () -> UInt64?, now: Int64) -> MessageTable.Look? {
        guard let known = quiet.withLock({ $0.isEmpty ? nil : $0.removeValue(forKey: queue) }),
              let count = writes(), known.writes == count, known.due.map({ $0 > now }) ?? true else { return nil }
        return .nothingUntil(known.due)
    }
}
