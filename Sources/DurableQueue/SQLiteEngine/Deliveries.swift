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

    /// Counts `messages`, delivered just now from `queue`: a few atomic adds each, no
    /// allocation (it runs after every get and receive).
    func delivered(_ messages: some Collection<Message>, from queue: String) {
        guard !messages.isEmpty, let mapped = counters.value else { return }
        let now = Timestamp.now()
        let hash = Doorbells.hash(queue)
        for message in messages {
            let waited = now - Timestamp.microseconds(of: message.enqueuedAt)
            guard let bucket = QueueDeliveries.bucket(attempt: message.attempt, waited: waited) else {
                mapped.add(1, to: 0, hash: hash)
                continue
            }
            mapped.add(UInt64(max(0, waited)), to: 1, hash: hash)
            mapped.add(1, to: 2 + bucket, hash: hash)
        }
    }

    func reading(_ queue: String) -> QueueDeliveries {
        guard let counts = counters.value?.reading(hash: Doorbells.hash(queue)) else { return .none }
        return QueueDeliveries(redelivered: counts[0], waits: Array(counts[2...]), waitMicroseconds: counts[1])
    }
}
