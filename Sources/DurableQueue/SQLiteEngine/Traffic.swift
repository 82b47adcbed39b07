/// The store's traffic counters (messages in, messages out), mapped on first use (see
/// `SharedCounterTable`).
final class Traffic: Sendable {
    private let counters: LazySharedFile<SharedCounterTable>

    init(storePath: String) {
        counters = LazySharedFile(directory: storePath + "-wake", name: "traffic") { SharedCounterTable(path: $0, counters: 2) }
    }

    private var mapped: SharedCounterTable? { counters.value }

    func added(_ count: Int, to queue: String) {
        guard count > 0 else { return }
        mapped?.add(UInt64(count), to: 0, hash: Doorbells.hash(queue))
    }

    func removed(_ count: Int, from queue: String) {
        guard count > 0 else { return }
        mapped?.add(UInt64(count), to: 1, hash: Doorbells.hash(queue))
    }

    func reading(_ queue: String) -> QueueTraffic {
        guard let counts = mapped?.reading(hash: Doorbells.hash(queue)) else { return QueueTraffic(added: 0, removed: 0) }
        return QueueTraffic(added: counts[0], removed: counts[1])
    }
}
