import Atomics
import DQSystem

/// How many readers are blocked on each queue, in a small file every process maps
/// (`PATH-wake/waiters`: 4,096 slots, a queue's slot chosen by its bell's hash). A
/// writer rings a queue's bell only when its slot counts a waiter, so a put that
/// nobody waits for costs no system call.
///
/// Each slot is one 64-bit word: the readers waiting now (low 32 bits) and how many
/// have ever started waiting (high 32 bits, wrapping), read together as a `Snapshot`.
/// The arrivals let a writer that rang before its commit tell whether a reader came
/// in meanwhile (see `Doorbells.ringBeforeCommit`). A second word per slot, after all
/// the first ones, counts the commits that could wake a reader of the slot's queues,
/// whether anyone waited or not (`noteWrite`): a reader that finds it unchanged since
/// a look knows that look still holds (`QuietQueues`).
///
/// Readers count themselves before their last look, writers read the slot after their
/// commit (docs/ARCHITECTURE.md, "The wake-up protocol").
///
/// A reader killed while waiting leaves its count raised: writers then ring for nothing
/// and a lone reader of that queue no longer looks alone (no early ring, no skipped
/// look), which costs time and nothing else. Such counts are cleared when nobody uses
/// them: every process holds a shared lock (`OpenFileLock`) on the file while it has it
/// mapped, and the first to map it when no other process does (its exclusive lock
/// succeeds) zeroes it, then turns its lock into a shared one in one step.
///
/// `@unchecked Sendable`: the mapping is fixed after init and only touched atomically.
final class WaiterCounts: @unchecked Sendable {
    static let slots = 4_096
    private let base: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// The waiting words, then the write counts (a file of an older dq, with only the
    /// first, grows with zeros).
    private let length = 2 * WaiterCounts.slots * MemoryLayout<UInt64>.size
    /// The open file, locked shared while mapped.
    private let file: FileDescriptor

    /// One slot read at one instant.
    struct Snapshot: Equatable {
        let word: UInt64
        /// Readers waiting now.
        var waiting: UInt32 { UInt32(truncatingIfNeeded: word) }
        /// Readers that ever started waiting (wraps around).
        var arrivals: UInt32 { UInt32(truncatingIfNeeded: word >> 32) }
    }

    /// Maps `path`, creating it zero-filled if needed; `nil` if that fails (callers
    /// then ring every time).
    init?(path: String) {
        guard let (fd, mapping) = SharedFileMapping.openClearingStale(path: path, length: length) else { return nil }
        file = fd
        base = mapping.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: 2 * Self.slots)
    }

    deinit {
        SharedFileMapping.unmap(base, length: length)
        file.close()
    }

    private func counter(_ slot: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: base + (slot % Self.slots))
    }

    /// Counts one more reader waiting, and one more arrival.
    func increment(_ slot: Int) {
        counter(slot).wrappingIncrement(by: 1 << 32 | 1, ordering: .sequentiallyConsistent)
    }

    /// Counts one reader fewer (never below zero, even if a crashed reader's count was
    /// repaired by hand); arrivals stay.
    func decrement(_ slot: Int) {
        let atomic = counter(slot)
        var current = atomic.load(ordering: .sequentiallyConsistent)
        while UInt32(truncatingIfNeeded: current) > 0 {
            let (exchanged, original) = atomic.compareExchange(
                expected: current, desired: current - 1, ordering: .sequentiallyConsistent)
            if exchanged { return }
            current = original
        }
    }

    func snapshot(_ slot: Int) -> Snapshot {
        Snapshot(word: counter(slot).load(ordering: .sequentiallyConsistent))
    }

    private func writeCounter(_ slot: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: base + Self.slots + (slot % Self.slots))
    }

    /// Counts a commit that could wake a reader of the slot's queues (after the commit,
    /// before the writer reads the slot's waiters).
    func noteWrite(_ slot: Int) {
        writeCounter(slot).wrappingIncrement(ordering: .sequentiallyConsistent)
    }

    /// The commits counted by `noteWrite` in `slot` so far (wrapping).
    func writes(_ slot: Int) -> UInt64 {
        writeCounter(slot).load(ordering: .sequentiallyConsistent)
    }
}
