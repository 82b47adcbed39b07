import Atomics
import DQSystem
import Synchronization

/// How many messages each queue has taken in and given out, counted by every process
/// that uses the store, in a small file they all map (`PATH-wake/traffic`). `dq stats
/// --watch` subtracts two readings to show rates.
///
/// Each queue has an entry (the 64-bit hash of its name, then two counters), found by
/// linear probing from the hash and claimed with a compare-and-swap, so queues share
/// counters only if their names' hashes collide. Entries are never freed: once 4,096
/// queue names have been counted, further new names go uncounted. A count is added after the commit it reports, with one atomic add:
/// no system call, no lock. The counts are statistics, not data: they start from zero
/// when the file is new and are not part of any transaction.
///
/// `@unchecked Sendable`: the mapping is fixed after init and only touched atomically.
final class TrafficCounters: @unchecked Sendable {
    static let entries = 4_096
    /// Entries looked at before giving up (a full table stops counting new queues
    /// rather than scanning on every put).
    private static let maxProbes = 64
    /// Per entry: the queue's hash (0: free), messages in, messages out.
    private static let words = 3
    private let base: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    private let length = TrafficCounters.entries * TrafficCounters.words * MemoryLayout<UInt64>.size

    /// Maps `path`, creating it zero-filled if needed; `nil` if that fails (nothing is
    /// counted then).
    init?(path: String) {
        guard let mapping = SharedFileMapping.map(path: path, length: length) else { return nil }
        base = mapping.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: Self.entries * Self.words)
    }

    deinit {
        SharedFileMapping.unmap(base, length: length)
    }

    private func word(_ entry: Int, _ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: base + entry * Self.words + index)
    }

    /// The entry of the queue whose name hashes to `hash`; claims a free one if
    /// `claim`. `nil` when the queue has none (or the table is full).
    private func entry(hash: UInt64, claim: Bool) -> Int? {
        let key = hash | 1  // never 0, which marks a free entry
        var entry = Int(truncatingIfNeeded: key % UInt64(Self.entries))
        for _ in 0..<Self.maxProbes {
            let current = word(entry, 0).load(ordering: .acquiring)
            if current == key { return entry }
            if current == 0 {
                guard claim else { return nil }
                let (exchanged, found) = word(entry, 0).compareExchange(expected: 0, desired: key, ordering: .acquiringAndReleasing)
                if exchanged || found == key { return entry }
            }
            entry = (entry + 1) % Self.entries
        }
        return nil
    }

    /// Which count of an entry.
    enum Direction: Int {
        /// Messages committed into the queue.
        case added = 1
        /// Messages taken out of the queue for good (get, ack).
        case removed = 2
    }

    /// Adds `count` to `direction`'s count of the queue with name hash `hash`.
    func count(_ count: Int, _ direction: Direction, hash: UInt64) {
        guard count > 0, let entry = entry(hash: hash, claim: true) else { return }
        word(entry, direction.rawValue).wrappingIncrement(by: UInt64(count), ordering: .relaxed)
    }

    /// The counts so far of the queue with name hash `hash` (zero if none yet).
    func reading(hash: UInt64) -> QueueTraffic {
        guard let entry = entry(hash: hash, claim: false) else { return QueueTraffic(added: 0, removed: 0) }
        return QueueTraffic(added: word(entry, Direction.added.rawValue).load(ordering: .relaxed),
                            removed: word(entry, Direction.removed.rawValue).load(ordering: .relaxed))
    }
}

/// The store's traffic counters, mapped on first use (see `TrafficCounters`).
final class Traffic: Sendable {
    private let counters: LazySharedFile<TrafficCounters>

    init(storePath: String) {
        counters = LazySharedFile(directory: storePath + "-wake", name: "traffic") { TrafficCounters(path: $0) }
    }

    private var mapped: TrafficCounters? { counters.value }

    func added(_ count: Int, to queue: String) {
        mapped?.count(count, .added, hash: Doorbells.hash(queue))
    }

    func removed(_ count: Int, from queue: String) {
        mapped?.count(count, .removed, hash: Doorbells.hash(queue))
    }

    func reading(_ queue: String) -> QueueTraffic {
        mapped?.reading(hash: Doorbells.hash(queue)) ?? QueueTraffic(added: 0, removed: 0)
    }
}

/// How many messages a queue has taken in and given out, as counted by every process
/// on this machine since the store's traffic file was made (statistics, not data: they
/// are kept outside the database and may start over). Subtract two readings for rates.
/// Purges, dead letters and their retries are not counted, so `added - removed` is not
/// a backlog; `Store.stats()` has that.
///
/// For example:
///
/// ```swift
/// let before = queue.traffic()
/// try await Task.sleep(for: .seconds(1))
/// let perSecond = queue.traffic().added - before.added
/// ```
public struct QueueTraffic: Sendable, Hashable {
    /// Messages stored by puts (duplicates of a dedup key not counted).
    public let added: UInt64
    /// Messages removed for good by gets and acks.
    public let removed: UInt64

    package init(added: UInt64, removed: UInt64) {
        self.added = added
        self.removed = removed
    }
}

extension Store {
    /// How many messages the queue called `name` has taken in and given out (see
    /// `QueueTraffic`). Any name may be asked, including the internal queues of pipes.
    ///
    /// For example:
    ///
    /// ```swift
    /// let traffic = store.traffic(ofQueue: "jobs")
    /// print("\(traffic.added) in, \(traffic.removed) out")
    /// ```
    public func traffic(ofQueue name: String) -> QueueTraffic {
        engine.traffic(ofQueue: name)
    }
}

extension Queue {
    /// How many messages this queue has taken in and given out, counted by every
    /// process using the store (see `QueueTraffic`).
    ///
    /// For example:
    ///
    /// ```swift
    /// let out = try store.queue("jobs").traffic().removed
    /// ```
    public func traffic() -> QueueTraffic {
        store.traffic(ofQueue: name)
    }
}
