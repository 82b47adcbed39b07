import FoundationEssentials

/// Stream-group gets on SQLite that a publisher can serve directly (`StreamHandoffs`):
/// while a subscriber's `get` waits, it sits in a seat; a publish that finds it there
/// hands it the entry and writes no copy to the group's queue, and the subscriber reads
/// the entry from the log, with no write of its own.
extension SQLiteEngine {
    /// A seat for a get that may wait on `queue`, if it is a stream group's queue; `nil`
    /// for other queues, for a get that does not wait, and when seats are unavailable.
    func handoffSeat(for queue: String, waiting timeout: Duration?) -> HandoffSeat<Message>? {
        guard timeout != .zero, readOnly == nil, StreamGroup.bellChannel(ofQueue: queue) != nil,
              let seats = handoffs.value else { return nil }
        return HandoffSeat(seats: seats, group: StreamHandoffs.group(queue), engine: self) { [self] entry throws(DQError) in
            try handedEntry(entry, as: queue)
        }
    }

    /// Entry `entry` (a `stream_entries` rowid) as its group's queue would have held it;
    /// `nil` if the log no longer has it (the stream was removed meanwhile).
    private func handedEntry(_ entry: Int64, as queue: String) throws(DQError) -> [Message]? {
        guard let found = try loggedEntry(entry) else { return nil }
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
    private let engine: SQLiteEngine
    private let deliver: (Int64) throws(DQError) -> [T]?
    private var ticket: StreamHandoffs.Ticket?

    init(seats: StreamHandoffs, group: UInt64, engine: SQLiteEngine, deliver: @escaping (Int64) throws(DQError) -> [T]?) {
        self.seats = seats
        self.group = group
        self.engine = engine
        self.deliver = deliver
    }

    /// Takes a seat if it has none (best effort: without one, the get takes from its queue).
    func sit() {
        if ticket == nil { ticket = seats.register(group: group) }
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

    private func settle(_ check: StreamHandoffs.Check, _ ticket: StreamHandoffs.Ticket, leaving: Bool) throws(DQError) -> [T]? {
        let entry: Int64
        do {
            switch check {
            case .nothing:
                if leaving { self.ticket = nil }
                return nil
            case .gone:
                seats.release(ticket)
                self.ticket = nil
                return nil
            case .handed(let handed):
                entry = handed
            case .claimed(let claimed, let stamp):
                // Wait out the claiming transaction (an empty write), then see whether the
                // log holds the entry as that publish wrote it. A claimed seat is never given
                // up while the claim may still commit: a busy store is waited out.
                while true {
                    do {
                        try engine.write { _ in }
                        break
                    } catch where error.kind == .timedOut {
                        continue
                    }
                }
                let committed = try engine.loggedEntry(claimed)?.publishedAt == stamp
                guard let resolved = seats.resolve(ticket, committed: committed, leaving: leaving) else {
                    if leaving || seats.check(ticket) == .gone { self.ticket = nil }
                    return nil
                }
                entry = resolved
            }
        } catch {
            seats.abandon(ticket)
            self.ticket = nil
            throw error
        }
        // Read before the seat is freed: until then, trims keep the entry.
        defer {
            seats.vacate(ticket)
            self.ticket = nil
        }
        return try deliver(entry)
    }
}
