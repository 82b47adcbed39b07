/// One write transaction of a read (get or receive): what it took and, when nothing,
/// when something next falls due (µs since the epoch).
typealias MessageTake<T> = () throws(DQError) -> (taken: [T], nextDue: Int64?)

/// The looks of one blocking or async read on SQLite, between the reactor's sleeps.
///
/// A reader that may wait sleeps on the queue's doorbell (docs/ARCHITECTURE.md, "The
/// wake-up protocol"). Each look is one read transaction (is anything deliverable,
/// and if not, when does something fall due) before the write lock is taken, so an
/// empty queue costs one read, and several readers woken for one message do not
/// queue on the lock.
struct MessageWaiting<T> {
    let engine: SQLiteEngine
    let queue: String
    let take: MessageTake<T>
    /// Whether a space reclaim was asked for since the read found the queue empty.
    private var reclaimAsked = false
    /// A stream-group subscriber's seat, where a publisher may hand it an entry while it
    /// waits (`StreamHandoffs`); `nil` for everything else.
    let seat: HandoffSeat<T>?

    init(engine: SQLiteEngine, queue: String, seat: HandoffSeat<T>? = nil, take: @escaping MessageTake<T>) {
        self.engine = engine
        self.seat = seat
        self.queue = queue
        self.take = take
    }

    /// The read's first step, before any wait: returns what it took, or `nil` when
    /// it is to wait. A take runs at once when `timeout` is zero, or with `takeFirst`
    /// whatever the timeout (for work it must commit at once, such as acks).
    func takeAtOnce(timeout: Duration?, takeFirst: Bool) throws(DQError) -> [T]? {
        // Leases of consumers that died come back first (at most every 250 ms).
        try engine.holders.sweep(store: engine)
        guard timeout == .zero || takeFirst else { return nil }
        let taken = try take().taken
        if !taken.isEmpty { return taken }
        // Nothing there (after `takeFirst`, the wait begins).
        guard timeout == .zero else { return nil }
        // A backlog may just have drained.
        engine.checkpointer.scheduleReclaim()
        return []
    }

    /// One look, told whether the queue's doorbell rang since the previous one.
    mutating func look(rang: Bool) throws(DQError) -> WaitStep<[T]> {
        if let handed = try seat?.takeHanded() { return .done(handed) }
        try engine.holders.sweep(store: engine)  // rings the queues of the leases it returns
        // Rung, and nobody else waits on this queue: almost surely a message for us,
        // and no other woken reader to collide with on the write lock; skip the look.
        // This is also what makes a put's ring before its commit safe: the take is a
        // write transaction, so it sees that commit.
        // Forgotten either way: a ring may come from a commit that is not counted yet.
        let known = quietLook()
        let seen: MessageTable.Look
        if rang && engine.doorbells.soleWaiter(on: queue) {
            seen = .deliverable
        } else if !rang, let known {
            seen = known
        } else {
            seen = try readLook()
        }
        var nextDue: Int64?
        switch seen {
        case .deliverable:
            // Out of the seat before taking, so nothing is handed to a reader that has taken.
            if let handed = try seat?.leave() { return .done(handed) }
            let attempt = try take()
            if !attempt.taken.isEmpty { return .done(attempt.taken) }
            nextDue = attempt.nextDue
        case .nothingUntil(let due):
            nextDue = due
        }
        if !reclaimAsked {
            // Nothing to take: a backlog may just have drained.
            engine.checkpointer.scheduleReclaim()
            reclaimAsked = true
        }
        if let orphaned = try seat?.sit() { return .done(orphaned) }
        return .notYet(until: nextDue)
    }

    /// Ends the wait with what it found; else with what was handed to the seat meanwhile
    /// (this reader's, returned rather than lost, even when the wait failed); else with
    /// nothing, or the wait's error.
    func finish(_ outcome: Result<[T]?, DQError>) throws(DQError) -> [T] {
        switch outcome {
        case .success(let found?):
            return found
        case .success(nil):
            return try seat?.leave() ?? []
        case .failure(let error):
            if let handed = try seat?.leave() { return handed }
            throw error
        }
    }

    /// What this process knows of the queue without reading it, if nothing written since
    /// can have changed it (`QuietQueues`; this reader is counted waiting by now).
    private func quietLook() -> MessageTable.Look? {
        engine.quietQueues.take(queue, writes: { engine.doorbells.writeCount(of: queue) }, now: Timestamp.now())
    }

    /// A read-only look: could a message be received now, and if not, when might one
    /// fall due? One read transaction.
    private func readLook() throws(DQError) -> MessageTable.Look {
        let now = Timestamp.now()
        return try engine.read { try MessageTable.look($0, queue: queue, now: now) }
    }
}
