import Atomics
import FoundationEssentials
import DQSystem
import Synchronization

/// Seats of blocked stream-group subscribers, in a small file every process maps
/// (`PATH-wake/seats`, 512 seats), through which a publisher hands an entry straight
/// to a waiting subscriber: no copy in the group's queue, no take to commit. The
/// publisher leaves the entry's body in the seat's slot of `PATH-wake/seats-bodies`
/// when it fits (`handedBody`); otherwise the subscriber reads the entry from the log in
/// a read transaction.
///
/// A seat is eight 64-bit words: its state and generation, the group (the hash of its
/// queue's name), the entry claimed or handed (its `stream_entries` rowid), the publish
/// time of the handoff that left a `Quiet` note, the entry's publish time (which tells a
/// committed claim from a rolled-back one), the note (a write count and a due time), and
/// a word left unused. After the seats, one more line of eight words: the first counts
/// the seats that are not free (`inUse`), so that a publish, a trim or a settling finds
/// at once that no seat holds anything. An occupant holds an
/// open-file-description lock on byte `seat` of `PATH-wake/seats-locks` while it sits:
/// the kernel drops it when the process dies, and nothing else ever takes it, so a
/// publisher tells a live occupant from a dead one with one `F_OFD_GETLK`.
///
/// - A subscriber about to sleep takes a free seat (`register`): free → setup → waiting.
/// - A publisher, inside its write transaction, claims the waiting seat of a live
///   subscriber whose group's queue has nothing ready (`candidate`, `isOccupied`, `claim`:
///   waiting → claimed), writes no copy for that group, and after its commit hands the
///   entry (`hand`: claimed → handed). A transaction that fails leaves its claims as they
///   are.
/// - The publisher that hands an entry and wrote nothing else to the group's queue leaves
///   a note with it: what its look at that queue found (`Quiet`), which the occupant may
///   trust for its next get (`QuietQueues`).
/// - Every claim a writer sees inside its own write transaction is an ended one, so the
///   writer can settle it (`claims`, `settle`): handed if the log holds its entry as
///   published at the claim's stamp, else undone (claimed → waiting). A publish settles
///   every claim before it writes entries, so no new entry can pass for one a failed
///   publish claimed. A subscriber that finds its seat claimed settles it the same way,
///   in a write transaction of its own.
/// - The subscriber reads what was handed (`check`), then frees the seat (`vacate`), or
///   leaves (`leave`: waiting → free, or, if a publisher claimed the seat meanwhile, what
///   it holds). After an error it deserts the seat (`desert`), as if it had died.
///
/// Every change of state is a compare-and-swap of the first word, whose generation goes
/// up each time a seat is freed, so a publisher never hands to a later occupant. What was
/// handed to a subscriber that died before reading it is put back on its group's queue by
/// the next writer of that stream (`orphans`; the writer `adopt`s the seat until its
/// transaction commits, then frees it: `returned`). Dead occupants' waiting seats are
/// freed by publishers (`evict`) and reused by subscribers; a subscriber also takes over
/// a dead one's handed entry of its own group (`adopt`). When the first process maps the
/// file again, the seats left waiting are freed; claimed and handed ones stay, for writers
/// to settle and put back.
///
/// `@unchecked Sendable`: the mapping is fixed after init and only touched atomically.
final class StreamHandoffs: @unchecked Sendable {
    static let seats = 512
    private static let words = 8
    private let base: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// The seats, then the line whose first word is `inUse`.
    private let length = (StreamHandoffs.seats + 1) * StreamHandoffs.words * MemoryLayout<UInt64>.size
    /// The open file, locked shared while mapped.
    private let file: FileDescriptor
    /// `PATH-wake/seats-locks`: byte `seat` locked by the seat's occupant.
    private let occupancy: FileDescriptor
    /// `PATH-wake/seats-bodies`: a slot per seat where the publisher that claims it
    /// leaves a copy of the entry's body (`bodySlot` bytes: its publish time, rowid and
    /// length, then the bytes), so that the occupant need not read the log. `nil` if it
    /// could not be mapped (occupants then read every entry from the log).
    private let bodies: UnsafeMutableRawPointer?
    private static let bodySlot = 1024
    /// The longest body a slot holds (longer ones are read from the log).
    static let bodyCapacity = bodySlot - 3 * MemoryLayout<UInt64>.size
    /// The seats this instance sits in (seat → generation), changed together with their
    /// byte locks: this process's threads share one open file description, so one
    /// thread's unlock would otherwise drop a lock another just took on the same seat.
    private let mine = Mutex<[Int: UInt64]>([:])

    enum State: UInt64 { case free = 0, setup = 1, waiting = 2, claimed = 3, handed = 4 }

    /// A seat as one occupant holds it: a later occupant has a higher generation.
    struct Ticket: Equatable {
        let seat: Int
        let generation: UInt64
    }

    /// Maps `path` (and opens its `-locks` file), creating them if needed; `nil` if
    /// that fails (subscribers then take from their queue, as without seats).
    init?(path: String) {
        guard let occupancy = try? FileDescriptor.open(path + "-locks", .readWrite, options: [.create, .closeOnExec, .noFollow],
                                                       permissions: 0o600) else { return nil }
        // Left by dead processes: seats freed, but what was claimed or handed stays, for
        // the next writer of its stream to settle and put back.
        guard let (fd, mapping) = SharedFileMapping.openClearingStale(path: path, length: length, clear: Self.freeWaitingSeats) else {
            occupancy.close()
            return nil
        }
        file = fd
        self.occupancy = occupancy
        base = mapping.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: (Self.seats + 1) * Self.words)
        // Never cleared: a slot counts only while its tag names the seat's entry.
        bodies = SharedFileMapping.map(path: path + "-bodies", length: Self.seats * Self.bodySlot)
    }

    /// Frees the seats of `mapping` that hold no entry (their occupants are dead), and
    /// counts those left in use.
    private static func freeWaitingSeats(_ mapping: UnsafeMutableRawPointer) {
        let words = mapping.bindMemory(to: UInt64.self, capacity: (seats + 1) * Self.words)
        var inUse: UInt64 = 0
        for seat in 0..<seats {
            let (state, generation) = unpack(words[seat * Self.words])
            switch state {
            case .free: continue
            case .claimed, .handed: inUse += 1
            case .setup, .waiting: words[seat * Self.words] = pack(.free, generation &+ 1)
            }
        }
        words[seats * Self.words] = inUse
    }

    deinit {
        SharedFileMapping.unmap(base, length: length)
        if let bodies { SharedFileMapping.unmap(bodies, length: Self.seats * Self.bodySlot) }
        file.close()
        occupancy.close()
    }

    private func word(_ seat: Int, _ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: base + seat * Self.words + index)
    }

    private func stateWord(_ seat: Int) -> UnsafeAtomic<UInt64> { word(seat, 0) }

    /// How many seats are not free: raised before a seat leaves `free`, lowered after it
    /// is free again, so while it reads 0 no seat holds or awaits anything. (A claimed or
    /// handed seat was waiting when a writer claimed it, holding the write lock; a writer
    /// that takes the lock after it sees the count that seat raised.)
    private var inUse: UnsafeAtomic<UInt64> { word(Self.seats, 0) }

    /// Whether any seat is not free (see `inUse`).
    var anyInUse: Bool { inUse.load(ordering: .acquiring) != 0 }

    /// Moves `ticket`'s seat from `state` to free, the next occupant's generation, and
    /// counts it out of `inUse`.
    private func moveToFree(_ ticket: Ticket, from state: State) -> Bool {
        guard move(ticket, from: state, to: .free, generation: ticket.generation &+ 1) else { return false }
        inUse.wrappingDecrement(ordering: .releasing)
        return true
    }

    private static func pack(_ state: State, _ generation: UInt64) -> UInt64 { generation << 3 | state.rawValue }

    private static func unpack(_ word: UInt64) -> (state: State, generation: UInt64) {
        (State(rawValue: word & 7) ?? .free, word >> 3)
    }

    /// Moves `ticket`'s seat from `from` to `to` if it is still there.
    private func move(_ ticket: Ticket, from: State, to: State, generation: UInt64? = nil) -> Bool {
        stateWord(ticket.seat).compareExchange(expected: Self.pack(from, ticket.generation),
                                               desired: Self.pack(to, generation ?? ticket.generation),
                                               ordering: .acquiringAndReleasing).exchanged
    }

    /// Frees `ticket`'s seat from `state` (the next occupant gets the next generation) and
    /// drops this process's lock on it.
    private func free(_ ticket: Ticket, from state: State) -> Bool {
        mine.withLock { mine in
            guard moveToFree(ticket, from: state) else { return false }
            stopSitting(ticket, &mine)
            return true
        }
    }

    /// Forgets `ticket`'s seat and drops its byte lock, if this instance still sits there
    /// on that ticket.
    private func stopSitting(_ ticket: Ticket, _ mine: inout [Int: UInt64]) {
        guard mine[ticket.seat] == ticket.generation else { return }
        mine[ticket.seat] = nil
        _ = try? OpenFileLock.set(occupancy, .unlocked, byte: Int64(ticket.seat))
    }

    /// Drops this process's lock on a seat taken from it (`Check.gone`).
    func release(_ ticket: Ticket) {
        mine.withLock { stopSitting(ticket, &$0) }
    }

    /// The hash that names a group (its queue's name) in a seat.
    static func group(_ queue: String) -> UInt64 {
        Doorbells.hash(queue)
    }

    /// Whether `seat`'s occupant lives: this instance, or a holder of its byte lock (or
    /// the probe failed: a live seat is never taken for dead).
    private func isOccupied(_ seat: Int) -> Bool {
        mine.withLock { $0[seat] != nil } || (try? OpenFileLock.isLocked(occupancy, byte: Int64(seat))) != false
    }

    /// `isOccupied` for a seat a publisher found (`candidate`).
    func isOccupied(_ ticket: Ticket) -> Bool { isOccupied(ticket.seat) }

    // MARK: Subscribers

    /// Takes a seat waiting for `group`: a free one, else one whose occupant died while
    /// waiting or sitting down. `nil` when every seat is taken.
    func register(group: UInt64) -> Ticket? {
        // Callers start their search at different seats, so they seldom race for one.
        let start = Int.random(in: 0..<Self.seats)
        for pass in 0..<2 {
            for offset in 0..<Self.seats {
                let seat = (start + offset) % Self.seats
                let current = stateWord(seat).load(ordering: .acquiring)
                let (state, generation) = Self.unpack(current)
                let taken: UInt64
                switch (pass, state) {
                case (0, .free):
                    taken = generation
                case (1, .waiting), (1, .setup):
                    // (Not a claimed or handed seat: a writer puts its entry back first.)
                    taken = generation &+ 1
                default:
                    continue
                }
                let sat = mine.withLock { mine -> Bool in
                    // The byte lock first: it fails while any other process sits there (or
                    // has not dropped it yet after leaving), so a dead occupant's seat is
                    // taken only when the kernel has dropped its lock. (This instance's own
                    // seats are known here: its lock would not stop it.)
                    guard mine[seat] == nil,
                          (try? OpenFileLock.set(occupancy, .exclusive, byte: Int64(seat))) == true else { return false }
                    // Counted before it leaves free (see `inUse`).
                    if state == .free { inUse.wrappingIncrement(ordering: .sequentiallyConsistent) }
                    guard stateWord(seat).compareExchange(expected: current, desired: Self.pack(.setup, taken),
                                                          ordering: .acquiringAndReleasing).exchanged else {
                        if state == .free { inUse.wrappingDecrement(ordering: .releasing) }
                        _ = try? OpenFileLock.set(occupancy, .unlocked, byte: Int64(seat))
                        return false
                    }
                    mine[seat] = taken
                    return true
                }
                guard sat else { continue }
                clearSlot(seat)
                word(seat, 1).store(group, ordering: .relaxed)
                stateWord(seat).store(Self.pack(.waiting, taken), ordering: .releasing)
                return Ticket(seat: seat, generation: taken)
            }
        }
        return nil
    }

    /// What a seat holds for its occupant.
    enum Check: Equatable {
        /// Nothing handed: the seat still waits.
        case nothing
        /// The seat is no longer the ticket's (a publisher freed it, taking its occupant
        /// for dead).
        case gone
        /// `entry` was handed: the occupant reads it, then `vacate`s the seat (until
        /// then, trims keep the entry).
        case handed(entry: Int64, stamp: Int64)
        /// A publisher claimed the seat for `entry`, published at `stamp`, and has not
        /// handed it: its transaction may still be open, or have ended (see `settle`).
        case claimed(entry: Int64, stamp: Int64)
    }

    /// What `ticket`'s seat holds (a claim is given a moment to be handed).
    func check(_ ticket: Ticket) -> Check {
        for _ in 0..<64 {
            let (state, generation) = Self.unpack(stateWord(ticket.seat).load(ordering: .acquiring))
            guard generation == ticket.generation else { return .gone }
            switch state {
            case .handed:
                return .handed(entry: Int64(bitPattern: word(ticket.seat, 2).load(ordering: .relaxed)),
                               stamp: Int64(bitPattern: word(ticket.seat, 4).load(ordering: .relaxed)))
            case .claimed:
                continue
            case .waiting, .setup:
                return .nothing
            case .free:
                return .gone
            }
        }
        return .claimed(entry: Int64(bitPattern: word(ticket.seat, 2).load(ordering: .relaxed)),
                        stamp: Int64(bitPattern: word(ticket.seat, 4).load(ordering: .relaxed)))
    }

    /// Frees a seat whose handed entry its occupant has read.
    func vacate(_ ticket: Ticket) {
        _ = free(ticket, from: .handed)
    }

    /// Leaves `ticket`'s seat: `.nothing` if it was only waiting (it is free now), else
    /// what it holds.
    func leave(_ ticket: Ticket) -> Check {
        while true {
            if free(ticket, from: .waiting) { return .nothing }
            let held = check(ticket)
            // Waiting again (a claim was undone meanwhile): try again.
            if held != .nothing { return held }
        }
    }

    /// Gives up `ticket`'s seat after an error: freed if it only waits, else left as it
    /// is, its lock dropped, as a dead occupant's (the next writer of its stream puts
    /// what it holds back on its group's queue: `orphans`).
    func desert(_ ticket: Ticket) {
        if !free(ticket, from: .waiting) { release(ticket) }
    }

    // MARK: Publishers

    /// A seat waiting for `group` (not yet claimed).
    func candidate(group: UInt64) -> Ticket? {
        guard anyInUse else { return nil }
        for seat in 0..<Self.seats {
            let (state, generation) = Self.unpack(stateWord(seat).load(ordering: .acquiring))
            guard state == .waiting, word(seat, 1).load(ordering: .relaxed) == group else { continue }
            return Ticket(seat: seat, generation: generation)
        }
        return nil
    }

    /// How many seats wait for `group`.
    func waiting(group: UInt64) -> Int {
        (0..<Self.seats).count { seat in
            Self.unpack(stateWord(seat).load(ordering: .acquiring)).state == .waiting && word(seat, 1).load(ordering: .relaxed) == group
        }
    }

    /// Claims the seat for `entry`, published at `stamp`, which this transaction is
    /// writing, leaving a copy of its `body` in the seat's slot if it fits: `false` if
    /// its occupant left meanwhile. (Only writers claim, one at a time, so the entry can
    /// be written before the seat is ours; a waiting seat's occupant reads no slot.)
    func claim(_ ticket: Ticket, entry: Int64, stamp: Int64, body: Data? = nil) -> Bool {
        word(ticket.seat, 2).store(UInt64(bitPattern: entry), ordering: .relaxed)
        word(ticket.seat, 3).store(0, ordering: .relaxed)
        word(ticket.seat, 4).store(UInt64(bitPattern: stamp), ordering: .relaxed)
        fillSlot(ticket.seat, with: body, of: entry, stamp: stamp)
        return move(ticket, from: .waiting, to: .claimed)
    }

    /// The header words of `seat`'s body slot: 0 the tag (the publish time of the entry
    /// it holds, 0 while it is written), 1 the entry's rowid, 2 the length.
    private func slotWord(_ slot: UnsafeMutableRawPointer, _ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (slot + index * MemoryLayout<UInt64>.size).assumingMemoryBound(to: UnsafeAtomic<UInt64>.Storage.self))
    }

    /// Copies `body` into `seat`'s slot, tagged last (a writer that dies midway leaves it
    /// untagged, and its occupant reads the log); leaves it untagged when there is no body
    /// or it does not fit.
    private func fillSlot(_ seat: Int, with body: Data?, of entry: Int64, stamp: Int64) {
        clearSlot(seat)
        guard let bodies, let body, body.count <= Self.bodyCapacity, stamp != 0 else { return }
        let slot = bodies + seat * Self.bodySlot
        slotWord(slot, 1).store(UInt64(bitPattern: entry), ordering: .relaxed)
        slotWord(slot, 2).store(UInt64(body.count), ordering: .relaxed)
        body.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { (slot + 3 * MemoryLayout<UInt64>.size).copyMemory(from: source, byteCount: bytes.count) }
        }
        slotWord(slot, 0).store(UInt64(bitPattern: stamp), ordering: .releasing)
    }

    /// Untags `seat`'s slot: what it holds is no seat's body.
    private func clearSlot(_ seat: Int) {
        guard let bodies else { return }
        slotWord(bodies + seat * Self.bodySlot, 0).store(0, ordering: .releasing)
    }

    /// The body of `entry`, published at `stamp`, that its publisher left in `ticket`'s
    /// slot (`check` said `.handed`); `nil` if it left none (too long, an older dq, a
    /// process that could not map the slots) or the slot changed while it was copied (the
    /// file truncated and grown again, say).
    func handedBody(_ ticket: Ticket, entry: Int64, stamp: Int64) -> Data? {
        guard let bodies, stamp != 0 else { return nil }
        let slot = bodies + ticket.seat * Self.bodySlot
        func tagged() -> Bool {
            slotWord(slot, 0).load(ordering: .acquiring) == UInt64(bitPattern: stamp)
                && slotWord(slot, 1).load(ordering: .relaxed) == UInt64(bitPattern: entry)
        }
        guard tagged() else { return nil }
        let count = Int(clamping: slotWord(slot, 2).load(ordering: .relaxed))
        guard count <= Self.bodyCapacity else { return nil }
        let body = Data(bytes: slot + 3 * MemoryLayout<UInt64>.size, count: count)
        return tagged() ? body : nil
    }

    /// Frees a seat whose occupant died while waiting.
    func evict(_ ticket: Ticket) {
        _ = moveToFree(ticket, from: .waiting)
    }

    /// What a publisher's look at a group's queue found, handed with an entry: nothing
    /// deliverable before `due` (µs since the epoch; `nil`: nothing due at all) while
    /// the queue's doorbell slot counts `writes` commits (`Doorbells.writeCount(of:)`,
    /// the publish's own included).
    struct Quiet: Equatable {
        let writes: UInt64
        let due: Int64?
    }

    /// After the commit: the claimed seat's entry is its occupant's, with `quiet` if
    /// the publisher wrote nothing else to the group's queue.
    func hand(_ ticket: Ticket, quiet: Quiet? = nil) {
        if let quiet {
            word(ticket.seat, 5).store(quiet.writes, ordering: .relaxed)
            word(ticket.seat, 6).store(UInt64(bitPattern: quiet.due ?? 0), ordering: .relaxed)
            // Tagged with this handoff's publish time: a note is trusted only beside its entry.
            word(ticket.seat, 3).store(word(ticket.seat, 4).load(ordering: .relaxed), ordering: .relaxed)
        }
        _ = move(ticket, from: .claimed, to: .handed)
    }

    /// The note its publisher handed with the entry `ticket`'s seat holds (`check` said
    /// `.handed`), if it left one: not when the claim was settled by another, or the
    /// publisher was an older dq.
    func quiet(_ ticket: Ticket) -> Quiet? {
        let tag = word(ticket.seat, 3).load(ordering: .relaxed)
        guard tag != 0, tag == word(ticket.seat, 4).load(ordering: .relaxed) else { return nil }
        let due = Int64(bitPattern: word(ticket.seat, 6).load(ordering: .relaxed))
        return Quiet(writes: word(ticket.seat, 5).load(ordering: .relaxed), due: due == 0 ? nil : due)
    }

    /// A seat claimed by a publish whose transaction has ended, as every claim a writer
    /// sees inside its own write transaction is.
    struct Claim {
        let ticket: Ticket
        let entry: Int64
        let stamp: Int64
    }

    /// Every claimed seat.
    func claims() -> [Claim] {
        var found: [Claim] = []
        guard anyInUse else { return found }
        for seat in 0..<Self.seats {
            let (state, generation) = Self.unpack(stateWord(seat).load(ordering: .acquiring))
            guard state == .claimed else { continue }
            found.append(Claim(ticket: Ticket(seat: seat, generation: generation),
                               entry: Int64(bitPattern: word(seat, 2).load(ordering: .relaxed)),
                               stamp: Int64(bitPattern: word(seat, 4).load(ordering: .relaxed))))
        }
        return found
    }

    /// Settles an ended transaction's claim: handed if it `committed` (the log holds its
    /// entry as published at its stamp), else undone, the seat waiting again. (Its
    /// publisher hands only what committed, so a handed seat stays handed.)
    func settle(_ claim: Claim, committed: Bool) {
        // Undone, its slot names no entry (settlers hold the write lock: no claim comes
        // before this is done).
        if move(claim.ticket, from: .claimed, to: committed ? .handed : .waiting), !committed { clearSlot(claim.ticket.seat) }
    }

    /// A handed seat whose occupant died before reading its entry.
    struct Orphan {
        let ticket: Ticket
        let group: UInt64
        let entry: Int64
        /// The entry's publish time: a log row of that number published at another time
        /// is another entry (its stream removed and a new one given its number).
        let stamp: Int64
    }

    /// The handed seats holding an entry within `entries` (or for `group`) whose occupant
    /// died (a writer settles `claims` first, so none is left claimed). The writer, or a
    /// subscriber of the group, `adopt`s each before putting its entry back where it
    /// belongs (or reading it).
    func orphans(in entries: ClosedRange<Int64>? = nil, of group: UInt64? = nil) -> [Orphan] {
        var found: [Orphan] = []
        guard anyInUse else { return found }
        for seat in 0..<Self.seats {
            let (state, generation) = Self.unpack(stateWord(seat).load(ordering: .acquiring))
            guard state == .handed else { continue }
            let entry = Int64(bitPattern: word(seat, 2).load(ordering: .relaxed))
            let seated = word(seat, 1).load(ordering: .relaxed)
            guard entries?.contains(entry) ?? true, group.map({ $0 == seated }) ?? true, !isOccupied(seat) else { continue }
            found.append(Orphan(ticket: Ticket(seat: seat, generation: generation), group: seated, entry: entry,
                                stamp: Int64(bitPattern: word(seat, 4).load(ordering: .relaxed))))
        }
        return found
    }

    /// Sits in an orphan's seat for the writer that puts its entry back (or the
    /// subscriber that reads it), so that nobody else does too: it frees the seat once its
    /// transaction commits (`returned`), or drops it if the transaction fails (`release`:
    /// an orphan again). `false` if another holds it, or it changed meanwhile.
    func adopt(_ orphan: Orphan) -> Bool {
        mine.withLock { mine in
            guard mine[orphan.ticket.seat] == nil,
                  (try? OpenFileLock.set(occupancy, .exclusive, byte: Int64(orphan.ticket.seat))) == true else { return false }
            guard stateWord(orphan.ticket.seat).load(ordering: .acquiring) == Self.pack(.handed, orphan.ticket.generation) else {
                _ = try? OpenFileLock.set(occupancy, .unlocked, byte: Int64(orphan.ticket.seat))
                return false
            }
            mine[orphan.ticket.seat] = orphan.ticket.generation
            return true
        }
    }

    /// Frees an adopted seat whose entry is back on its group's queue (committed), or read.
    func returned(_ ticket: Ticket) {
        _ = free(ticket, from: .handed)
    }

    /// The oldest entry within `entries` that a seat holds, claimed or handed and not yet
    /// read, which a trim must keep, but for the seats of `adopted` (their entries are
    /// back on their queues). A dead occupant's is kept too: it may have died since the
    /// writer looked for orphans, and the next writer puts it back.
    func oldestHanded(in entries: ClosedRange<Int64>, except adopted: [Ticket]) -> Int64? {
        var oldest: Int64?
        guard anyInUse else { return nil }
        for seat in 0..<Self.seats where !adopted.contains(where: { $0.seat == seat }) {
            let state = Self.unpack(stateWord(seat).load(ordering: .acquiring)).state
            guard state == .claimed || state == .handed else { continue }
            let entry = Int64(bitPattern: word(seat, 2).load(ordering: .relaxed))
            if entries.contains(entry) { oldest = min(oldest ?? entry, entry) }
        }
        return oldest
    }
}
