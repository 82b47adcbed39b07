import Synchronization

/// Whose turn it is on one listening connection of a store, which callers of `SessionPool`
/// also borrow for single statements: at most one caller, or the `WaitProbe`, at a time,
/// so that the probe's answer never waits behind a caller's statement (a slow answer
/// counts as a lost connection). The keeper's own short statements need no turn: each
/// is its own transaction, and postgres-nio runs a connection's statements one at a time.
///
/// A probe that finds the connection taken says that it wants it; callers then open or
/// use other connections until the probe has had its turn.
final class SharedTurn: Sendable {
    private let taken = Atomic<Bool>(false)
    private let probeWaiting = Atomic<Bool>(false)

    /// Takes the connection for a caller's statement, unless it is taken or the probe waits.
    func takeForCaller() -> Bool {
        guard !probeWaiting.load(ordering: .acquiring) else { return false }
        return taken.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Takes the connection for the probe; if it is taken, notes that the probe waits.
    func takeForProbe() -> Bool {
        if taken.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            probeWaiting.store(false, ordering: .releasing)
            return true
        }
        probeWaiting.store(true, ordering: .releasing)
        return false
    }

    /// The probe no longer waits (it has nothing to probe for).
    func stopWaiting() {
        probeWaiting.store(false, ordering: .releasing)
    }

    func release() {
        taken.store(false, ordering: .releasing)
    }
}
