import Atomics
import DQSystem

/// Seats of blocked stream-group subscribers, in a small file every process maps
/// (`PATH-wake/handoffs`, 512 seats), through which a publisher hands an entry straight
/// to a waiting subscriber: no copy in the group's queue, no take to commit. The
/// subscriber reads the handed entry from the log in a read transaction.
///
/// A seat is eight 64-bit words: its state and generation, the group (the hash of its
/// queue's name), the handed entry (its `stream_entries` rowid), the subscriber's
/// lease-holder id (`LeaseHolders`), which tells the publisher whether it still lives,
/// and the entry's publish time, which tells a committed claim from a rolled-back one.
///
/// - A subscriber about to sleep takes a free seat (`register`): free → setup → waiting.
/// - A publisher, inside its write transaction, claims a waiting seat of a group whose
///   queue has nothing ready (`candidate`, `claim`: waiting → claimed), writes no copy for
///   that group, and after its commit hands the entry (`hand`: claimed → handed); if the
///   transaction fails it gives the seat back (`unclaim`: claimed → waiting).
/// - The subscriber takes what was handed (`check`), or leaves (`leave`: waiting → free,
///   or, if a publisher claimed the seat meanwhile, what it hands). A seat claimed by a
///   publisher that died before handing is settled by the subscriber (`resolve`) once no
///   write transaction is open: the entry is its if the log holds it as claimed.
///
/// Every change of state is a compare-and-swap of the first word, whose generation goes
/// up each time a seat is freed, so a publisher never hands to a later occupant. A
/// subscriber that dies in its seat loses what was handed to it (at-most-once, as a `get`
/// that committed and then died); publishers hand only to one whose holder lock is held,
/// and free the seats of the others.
/// Seats left by dead processes are also freed when the first process maps the file again
/// (as `WaiterCounts`).
///
/// `@unchecked Sendable`: the mapping is fixed after init and only touched atomically.
final class StreamHandoffs: @unchecked Sendable {
    static let seats = 512
    private static let words = 8
    private let base: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    private let length = StreamHandoffs.seats * StreamHandoffs.words * MemoryLayout<UInt64>.size
    /// The open file, locked shared while mapped.
    private let file: FileDescriptor

    enum State: UInt64 { case free = 0, setup = 1, waiting = 2, claimed = 3, handed = 4 }

    /// A seat as one occupant holds it: a later occupant has a higher generation.
    struct Ticket: Equatable {
        let seat: Int
        let generation: UInt64
    }

    /// Maps `path`, creating it zero-filled if needed; `nil` if that fails (subscribers
    /// then take from their queue, as without seats).
    init?(path: String) {
        guard let (fd, mapping) = SharedFileMapping.openClearingStale(path: path, length: length) else { return nil }
        file = fd
        base = mapping.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: Self.seats * Self.words)
    }

    deinit {
        SharedFileMapping.unmap(base, length: length)
        file.close()
    }

    private func word(_ seat: Int, _ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: base + seat * Self.words + index)
    }

    private func stateWord(_ seat: Int) -> UnsafeAtomic<UInt64> { word(seat, 0) }

    private static func pack(_ state: State, _ generation: UInt64) -> UInt64 { generation << 3 | state.rawValue }

    private static func unpack(_ word: UInt64) -> (state: State, generation: UInt64) {
        (State(rawValue: word & 7) ?? .free, word >> 3)
    }

    /// Moves `ticket`'s seat from `from` to `to` (same generation) if it is still there.
    private func move(_ ticket: Ticket, from: State, to: State) -> Bool {
        stateWord(ticket.seat).compareExchange(expected: Self.pack(from, ticket.generation), desired: Self.pack(to, ticket.generation),
                                               ordering: .acquiringAndReleasing).exchanged
    }

    /// The hash that names a group (its queue's name) in a seat.
    static func group(_ queue: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64 bits
        for byte in queue.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    // MARK: Subscribers

    /// Takes a seat waiting for `group` for the subscriber `holder`: a free one, else one
    /// whose occupant `isGone` (not known to live). `nil` when every seat is taken.
    func register(group: UInt64, holder: Int64, isGone: (Int64) -> Bool) -> Ticket? {
        // Processes start their search at different seats, so they seldom race for one.
        let start = Int(truncatingIfNeeded: (UInt64(UInt32(bitPattern: CurrentProcess.id)) &* 2_654_435_761) >> 7) % Self.seats
        for pass in 0..<2 {
            for offset in 0..<Self.seats {
                let seat = (start + offset) % Self.seats
                let current = stateWord(seat).load(ordering: .acquiring)
                let (state, generation) = Self.unpack(current)
                let taken: UInt64
                switch (pass, state) {
                case (0, .free):
                    taken = generation
                case (1, .waiting), (1, .handed):
                    // (Not a seat in setup: its fields may still be its previous occupant's.)
                    guard isGone(Int64(bitPattern: word(seat, 3).load(ordering: .relaxed))) else { continue }
                    taken = generation &+ 1
                default:
                    continue
                }
                guard stateWord(seat).compareExchange(expected: current, desired: Self.pack(.setup, taken),
                                                      ordering: .acquiringAndReleasing).exchanged else { continue }
                word(seat, 1).store(group, ordering: .relaxed)
                word(seat, 3).store(UInt64(bitPattern: holder), ordering: .relaxed)
                stateWord(seat).store(Self.pack(.waiting, taken), ordering: .releasing)
                return Ticket(seat: seat, generation: taken)
            }
        }
        return nil
    }

    /// What a seat holds for its occupant.
    enum Check: Equatable {
        /// Nothing handed (or the seat is no longer the ticket's).
        case nothing
        /// `entry` was handed: the occupant reads it, then `vacate`s the seat (until
        /// then, trims keep the entry).
        case handed(Int64)
        /// A publisher claimed the seat for `entry`, published at `stamp`, and has not
        /// handed it yet: its transaction may still be open (see `resolve`).
        case claimed(entry: Int64, stamp: Int64)
    }

    /// What `ticket`'s seat holds; a claim is given a few microseconds to be handed.
    func check(_ ticket: Ticket) -> Check {
        for _ in 0..<64 {
            let (state, generation) = Self.unpack(stateWord(ticket.seat).load(ordering: .acquiring))
            guard generation == ticket.generation else { return .nothing }
            switch state {
            case .handed:
                return .handed(Int64(bitPattern: word(ticket.seat, 2).load(ordering: .relaxed)))
            case .claimed:
                continue
            default:
                return .nothing
            }
        }
        return .claimed(entry: Int64(bitPattern: word(ticket.seat, 2).load(ordering: .relaxed)),
                        stamp: Int64(bitPattern: word(ticket.seat, 4).load(ordering: .relaxed)))
    }

    /// Settles a seat found `claimed`, once the claiming transaction has ended: its entry,
    /// handed or `committed`, is the occupant's (as `Check.handed`: read it, then `vacate`);
    /// a claim that did not commit is undone, the seat left waiting (`leaving`: freed).
    /// `nil`: nothing for it.
    func resolve(_ ticket: Ticket, committed: Bool, leaving: Bool) -> Int64? {
        let after = leaving ? Self.pack(.free, ticket.generation &+ 1) : Self.pack(.waiting, ticket.generation)
        while true {
            let current = stateWord(ticket.seat).load(ordering: .acquiring)
            let (state, generation) = Self.unpack(current)
            guard generation == ticket.generation else { return nil }
            let entry = Int64(bitPattern: word(ticket.seat, 2).load(ordering: .relaxed))
            switch state {
            case .handed:
                return entry
            case .claimed where committed:
                if stateWord(ticket.seat).compareExchange(expected: current, desired: Self.pack(.handed, generation),
                                                          ordering: .acquiringAndReleasing).exchanged { return entry }
            case .claimed, .waiting:
                if stateWord(ticket.seat).compareExchange(expected: current, desired: after,
                                                          ordering: .acquiringAndReleasing).exchanged { return nil }
            default:
                return nil
            }
        }
    }

    /// Frees a seat whose handed entry its occupant has read.
    func vacate(_ ticket: Ticket) {
        _ = stateWord(ticket.seat).compareExchange(expected: Self.pack(.handed, ticket.generation),
                                                   desired: Self.pack(.free, ticket.generation &+ 1), ordering: .acquiringAndReleasing)
    }

    /// Leaves `ticket`'s seat if nothing was claimed for it (`.nothing`); else what it holds.
    func leave(_ ticket: Ticket) -> Check {
        if stateWord(ticket.seat).compareExchange(expected: Self.pack(.waiting, ticket.generation),
                                                  desired: Self.pack(.free, ticket.generation &+ 1),
                                                  ordering: .acquiringAndReleasing).exchanged {
            return .nothing
        }
        return check(ticket)
    }

    // MARK: Publishers

    /// A seat waiting for `group` (not yet claimed), and its occupant's holder id.
    func candidate(group: UInt64) -> (ticket: Ticket, holder: Int64)? {
        for seat in 0..<Self.seats {
            let (state, generation) = Self.unpack(stateWord(seat).load(ordering: .acquiring))
            guard state == .waiting, word(seat, 1).load(ordering: .relaxed) == group else { continue }
            let holder = Int64(bitPattern: word(seat, 3).load(ordering: .relaxed))
            // Still the same occupant after reading its fields.
            guard stateWord(seat).load(ordering: .acquiring) == Self.pack(.waiting, generation) else { continue }
            return (Ticket(seat: seat, generation: generation), holder)
        }
        return nil
    }

    /// Claims the seat for `entry`, published at `stamp`, which this transaction is
    /// writing: `false` if its occupant left meanwhile. (Only writers claim, one at a
    /// time, so the entry can be written before the seat is ours.)
    func claim(_ ticket: Ticket, entry: Int64, stamp: Int64) -> Bool {
        word(ticket.seat, 2).store(UInt64(bitPattern: entry), ordering: .relaxed)
        word(ticket.seat, 4).store(UInt64(bitPattern: stamp), ordering: .relaxed)
        return move(ticket, from: .waiting, to: .claimed)
    }

    /// Frees a seat whose occupant died while waiting.
    func evict(_ ticket: Ticket) {
        _ = stateWord(ticket.seat).compareExchange(expected: Self.pack(.waiting, ticket.generation),
                                               desired: Self.pack(.free, ticket.generation &+ 1), ordering: .acquiringAndReleasing)
    }

    /// After the commit: the claimed seat's entry is its occupant's.
    func hand(_ ticket: Ticket) {
        _ = move(ticket, from: .claimed, to: .handed)
    }

    /// The transaction did not commit: the seat waits again.
    func unclaim(_ ticket: Ticket) {
        _ = move(ticket, from: .claimed, to: .waiting)
    }

    /// The oldest entry within `entries` claimed or handed and not yet taken, which a trim
    /// must keep.
    func oldestHanded(in entries: ClosedRange<Int64>) -> Int64? {
        var oldest: Int64?
        for seat in 0..<Self.seats {
            let state = Self.unpack(stateWord(seat).load(ordering: .acquiring)).state
            guard state == .claimed || state == .handed else { continue }
            let entry = Int64(bitPattern: word(seat, 2).load(ordering: .relaxed))
            if entries.contains(entry) { oldest = min(oldest ?? entry, entry) }
        }
        return oldest
    }
}
