/// The store's delivery counters (`QueueDeliveries`: redeliveries, and a histogram of
/// first deliveries' waits), in `PATH-wake/deliveries`, mapped on first use (see
/// `SharedCounterTable`). Counters: redelivered, the waits' sum (µs), then one per bucket.
final class Deliveries: Sendable {
    private let counters: LazySharedFile<SharedCounterTable>
    private static let buckets = QueueDeliveries.waitBounds.count + 1

    init(storePath: String) {
        counters = LazySharedFile(directory: storePath + "-wake", name: "deliveries") {
            SharedCounterTable(path: $0, counters: 2 + Deliveries.buckets)
        }
    }

    /// Counts `messages`, delivered just now from `queue`.
    func delivered(_ messages: some Sequence<Message>, from queue: String) {
        let now = Timestamp.now()
        let counts = QueueDeliveries(deliveries: messages.lazy.map { ($0.attempt, now - Timestamp.microseconds(of: $0.enqueuedAt)) })
        guard !counts.isEmpty, let mapped = counters.value else { return }
        mapped.add([(0, counts.redelivered), (1, counts.waitMicroseconds)] + counts.waits.enumerated().map { (2 + $0.offset, $0.element) },
                   hash: Doorbells.hash(queue))
    }

    func reading(_ queue: String) -> QueueDeliveries {
        guard let counts = counters.value?.reading(hash: Doorbells.hash(queue)) else { return .none }
        return QueueDeliveries(redelivered: counts[0], waits: Array(counts[2...]), waitMicroseconds: counts[1])
    }
}
