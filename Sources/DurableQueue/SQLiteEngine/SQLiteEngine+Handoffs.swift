import FoundationEssentials

/// Stream-group gets on SQLite that a publisher can serve directly (`StreamHandoffs`):
/// while a subscriber's `get` waits, it sits in a seat; a publish that finds it there
/// hands it the entry and writes no copy to the group's queue, and the subscriber takes
/// the entry from the seat's slot (or the log), with no write of its own.
extension SQLiteEngine {
    /// A seat for a get that may wait on `queue`, if it is a stream group's queue; `nil`
    /// for other queues, for a get that does not wait, and when seats are unavailable.
    func handoffSeat(for queue: String, waiting timeout: Duration?) -> HandoffSeat<Message>? {
        guard timeout != .zero, readOnly == nil, StreamGroup.bellChannel(ofQueue: queue) != nil,
              let seats = handoffs.value else { return nil }
        return HandoffSeat(seats: seats, queue: queue, engine: self) { [self] entry, stamp, body throws(DQError) in
            try handedEntry(entry, stamp: stamp, body: body, as: queue)
        }
    }

    /// Entry `entry` (a `stream_entries` rowid) published at `stamp`, as its group's queue
    /// would have held it: with `body` if its publisher left it with the seat (delivered
    /// even if the stream was removed since: it was taken when handed), else as the log
    /// holds it; `nil` if the log no longer has it (the stream was removed meanwhile, and
    /// maybe its number given to a new one).
    private func handedEntry(_ entry: Int64, stamp: Int64, body: Data?, as queue: String) throws(DQError) -> [Message]? {
        let found: (publishedAt: Int64, body: Data)
        if let body {
            found = (stamp, body)
        } else {
            guard let logged = try loggedEntry(entry), logged.publishedAt == stamp else { return nil }
            found = logged
        }
        let sequence = entry & StreamLog.maxSequence
        let message = Message(id: entry, queue: queue,
                              body: EntryEnvelope.wrap(sequence: sequence, publishedAt: found.publishedAt, body: found.body),
                              priority: 0, enqueuedAt: Timestamp.date(found.publishedAt), attempt: 1)
        return [message]
    }

    /// The publish time and body of log row `entry`, if the log holds it.
    func loggedEntry(_ entry: Int64) throws(DQError) -> (publishedAt: Int64, body: Data)? {
        try read { connection in try Self.loggedEntry(entry, connection) }
    }

    /// Settles every claim in `seats` within a write transaction, where each is an ended
    /// one (`StreamHandoffs.settle`).
    static func settleClaims(_ seats: StreamHandoffs, _ connection: Connection) throws {
        for claim in seats.claims() {
            seats.settle(claim, committed: try loggedEntry(claim.entry, connection)?.publishedAt == claim.stamp)
        }
    }

    /// `loggedEntry` within a transaction.
    static func loggedEntry(_ entry: Int64, _ connection: Connection) throws -> (publishedAt: Int64, body: Data)? {
        let row = try connection.cachedStatement(StreamSQL.entry)
        defer { row.reset() }
        try row.bind(entry, at: 1)
        return try row.step() ? (row.int64(at: 0), row.data(at: 1)) : nil
    }
}

/// One waiting get's seat in `StreamHandoffs`: taken before it sleeps, left before it
/// takes from its queue or stops waiting. Not `Sendable`: one read uses it.
final class HandoffSeat<T> {
    private let seats: StreamHandoffs
    private let group: UInt64
    private let queue: String
    private let engine: SQLiteEngine
    private let deliver: (_ entry: Int64, _ stamp: Int64, _ body: Data?) throws(DQError) -> [T]?
    private var ticket: StreamHandoffs.Ticket?

    init(seats: StreamHandoffs, queue: String, engine: SQLiteEngine,
         deliver: @escaping (_ entry: Int64, _ stamp: Int64, _ body: Data?) throws(DQError) -> [T]?) {
        self.seats = seats
        self.group = StreamHandoffs.group(queue)
        self.queue = queue
        self.engine = engine
        self.deliver = deliver
    }

    /// Takes a seat if it has none (best effort: without one, the get takes from its
    /// queue). First, what its group's subscribers that died left handed and unread, if
    /// anything: that is this get's (looked for at every look that finds nothing, so an
    /// entry left by a dead subscriber is read within the wait's re-check).
    func sit() throws(DQError) -> [T]? {
        let orphans = seats.orphans(of: group)
        if !orphans.isEmpty {
            // Out of the seat first, so nothing is handed to a reader that has an entry.
            if let held = try leave() { return held }
            for orphan in orphans where seats.adopt(orphan) {
                let delivered: [T]?
                do {
                    delivered = try deliver(orphan.entry, orphan.stamp, nil)
                } catch {
                    seats.release(orphan.ticket)
                    throw error
                }
                seats.returned(orphan.ticket)
                if let delivered { return delivered }
            }
        }
        if ticket == nil { ticket = seats.register(group: group) }
        return nil
    }

    /// What was handed to the seat (which it then leaves), if anything.
    func takeHanded() throws(DQError) -> [T]? {
        guard let ticket else { return nil }
        return try settle(seats.check(ticket), ticket, leaving: false)
    }

    /// Leaves the seat; what was handed to it before it could, if anything.
    func leave() throws(DQError) -> [T]? {
        guard let ticket else { return nil }
        return try settle(seats.leave(ticket), ticket, leaving: true)
    }

    /// Acts on what the seat holds: nothing (`leaving`: the seat is free now), gone, an
    /// entry handed (read, then the seat is freed), or a claim (settled in a write
    /// transaction, then looked at again).
    private func settle(_ check: StreamHandoffs.Check, _ ticket: StreamHandoffs.Ticket, leaving: Bool) throws(DQError) -> [T]? {
        let entry: Int64
        let stamp: Int64
        switch check {
        case .nothing:
            if leaving { self.ticket = nil }
            return nil
        case .gone:
            seats.release(ticket)
            self.ticket = nil
            return nil
        case .handed(let handed, let published):
            entry = handed
            stamp = published
        case .claimed:
            // Holding the write lock, no claim is in the making: every one is settled.
            do {
                try engine.write { [seats] connection in try SQLiteEngine.settleClaims(seats, connection) }
            } catch {
                seats.desert(ticket)
                self.ticket = nil
                throw error
            }
            return try leaving ? leave() : takeHanded()
        }
        // Read before the seat is freed: until then, trims keep the entry.
        let delivered: [T]?
        do {
            delivered = try deliver(entry, stamp, seats.handedBody(ticket, entry: entry, stamp: stamp))
        } catch {
            seats.desert(ticket)
            self.ticket = nil
            throw error
        }
        // The publisher's look at the queue, for the next get (`QuietQueues`).
        if let quiet = seats.quiet(ticket) { engine.quietQueues.remember(queue, quiet) }
        seats.vacate(ticket)
        self.ticket = nil
        return delivered
    }
}

/// The orphaned seats one write transaction adopted to put their entries back
/// (`StreamHandoffs.adopt`): freed once it commits, let go (orphans again) if it fails
/// or runs again. Not `Sendable`: one write uses it, so its list skips the run-time
/// exclusivity checks.
final class SeatAdoptions {
    let seats: StreamHandoffs
    @exclusivity(unchecked) private var adopted: [StreamHandoffs.Ticket] = []

    init(seats: StreamHandoffs) {
        self.seats = seats
    }

    /// Adopts `orphan`'s seat: `false` if another writer holds it, or it changed.
    func adopt(_ orphan: StreamHandoffs.Orphan) -> Bool {
        guard seats.adopt(orphan) else { return false }
        adopted.append(orphan.ticket)
        return true
    }

    /// The oldest entry within `entries` that a live subscriber holds, which a trim
    /// keeps (not the adopted ones: back on their queues).
    func oldestHeld(in entries: ClosedRange<Int64>) -> Int64? {
        seats.oldestHanded(in: entries, except: adopted)
    }

    /// After the commit: the entries are back on their queues; the seats are free.
    /// Returns how many there were.
    func returned() -> Int {
        defer { adopted = [] }
        for ticket in adopted { seats.returned(ticket) }
        return adopted.count
    }

    /// The transaction failed or runs again: the seats are orphans again.
    func letGo() {
        for ticket in adopted { seats.release(ticket) }
        adopted = []
    }
}
