import Atomics
@preconcurrency import Glibc

/// How many readers are blocked on each queue, in a small file every process maps
/// (`PATH-wake/waiting`: 4,096 counters, a queue's counter chosen by its bell's hash).
/// A writer rings a queue's bell only when its counter is not zero, so a put that
/// nobody waits for costs no system call.
///
/// No wakeup is lost: a reader increments its counter before its last look at the
/// store, and a writer reads the counter after its commit; either the writer sees the
/// reader, or the reader's look comes after the commit and finds the message. A reader
/// killed while waiting leaves its counter raised: writers then ring for nothing, which
/// costs a little time and nothing else.
///
/// `@unchecked Sendable`: the mapping is fixed after init and only touched atomically.
final class WaiterCounts: @unchecked Sendable {
    static let slots = 4_096
    private let base: UnsafeMutablePointer<UnsafeAtomic<UInt32>.Storage>
    private let length = WaiterCounts.slots * MemoryLayout<UInt32>.size

    /// Maps `path`, creating it zero-filled if needed; `nil` if that fails (callers
    /// then ring every time).
    init?(path: String) {
        guard let mapping = SharedFileMapping.map(path: path, length: length) else { return nil }
        base = mapping.bindMemory(to: UnsafeAtomic<UInt32>.Storage.self, capacity: Self.slots)
    }

    deinit {
        munmap(base, length)
    }

    private func counter(_ slot: Int) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic(at: base + (slot % Self.slots))
    }

    func increment(_ slot: Int) {
        counter(slot).wrappingIncrement(ordering: .sequentiallyConsistent)
    }

    func decrement(_ slot: Int) {
        // Never below zero, even if a crashed reader's count was repaired by hand.
        let atomic = counter(slot)
        var current = atomic.load(ordering: .sequentiallyConsistent)
        while current > 0 {
            let (exchanged, original) = atomic.compareExchange(
                expected: current, desired: current - 1, ordering: .sequentiallyConsistent)
            if exchanged { return }
            current = original
        }
    }

    func count(_ slot: Int) -> UInt32 {
        counter(slot).load(ordering: .sequentiallyConsistent)
    }

    func anyoneWaiting(_ slot: Int) -> Bool {
        counter(slot).load(ordering: .sequentiallyConsistent) != 0
    }
}
