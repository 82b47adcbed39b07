import Atomics
import DQSystem
import Synchronization

/// Per-queue counters kept by every process that uses the store, in a small file they
/// all map (`PATH-wake/traffic`: messages in and out, which `dq stats --watch` turns
/// into rates; `PATH-wake/deliveries`: redeliveries and waits, for `/metrics`).
///
/// Each queue has an entry (the 64-bit hash of its name, then its counters), found by
/// linear probing from the hash and claimed with a compare-and-swap, so queues share
/// counters only if their names' hashes collide. Entries are never freed: once 4,096
/// queue names have been counted, further new names go uncounted. A count is added after
/// the commit it reports, with one atomic add: no system call, no lock. The counts are
/// statistics, not data: they start from zero when the file is new and are not part of
/// any transaction.
///
/// `@unchecked Sendable`: the mapping is fixed after init and only touched atomically.
final class SharedCounterTable: @unchecked Sendable {
    static let entries = 4_096
    /// Entries looked at before giving up (a full table stops counting new queues
    /// rather than scanning on every put).
    private static let maxProbes = 64
    /// Per entry: the queue's hash (0: free), then its counters.
    private let words: Int
    private let base: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    private let length: Int

    /// Maps `path` with `counters` counters per queue, creating it zero-filled if needed;
    /// `nil` if that fails (nothing is counted then). Every process must map a file with
    /// the same number of counters.
    init?(path: String, counters: Int) {
        words = 1 + counters
        length = Self.entries * words * MemoryLayout<UInt64>.size
        guard let mapping = SharedFileMapping.map(path: path, length: length) else { return nil }
        base = mapping.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: Self.entries * words)
    }

    deinit {
        SharedFileMapping.unmap(base, length: length)
    }

    private func word(_ entry: Int, _ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: base + entry * words + index)
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

    /// Adds `amount` to counter `counter` of the queue with name hash `hash`.
    func add(_ amount: UInt64, to counter: Int, hash: UInt64) {
        guard amount > 0, let entry = entry(hash: hash, claim: true) else { return }
        word(entry, 1 + counter).wrappingIncrement(by: amount, ordering: .relaxed)
    }

    /// The counters so far of the queue with name hash `hash` (zeros if none yet).
    func reading(hash: UInt64) -> [UInt64] {
        guard let entry = entry(hash: hash, claim: false) else { return Array(repeating: 0, count: words - 1) }
        return (1..<words).map { word(entry, $0).load(ordering: .relaxed) }
    }
}
