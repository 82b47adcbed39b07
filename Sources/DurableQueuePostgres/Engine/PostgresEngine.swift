import DQSystem
import DurableQueue
import Logging
import PostgresNIO
import Synchronization

/// The store contract (`StoreEngine`) on a PostgreSQL server, for producers and
/// consumers on several machines (SPEC, "Engines").
///
/// Everything lives in the schema `dq` (`PostgresSchema`), created on first use. Each
/// operation is one statement — most of them one call of a `dq` function — so it commits
/// whole or not at all, and a lost connection never leaves it half-done. Claims use
/// `FOR UPDATE SKIP LOCKED`, so consumers never wait for each other; puts on one queue
/// take turns on a transaction-scoped advisory lock, so ids (and delivery order) follow
/// commit order. Writers `NOTIFY` the channels they change in the same transaction;
/// blocked readers `LISTEN` on one connection per store (`SessionKeeper`).
final class PostgresEngine: StoreEngine {
    let address: PostgresAddress
    let options: StoreOptions
    let pool: SessionPool
    let keeper: SessionKeeper
    let tally = TrafficTally()
    private let reactorSlot = Mutex<WaitReactor?>(nil)
    /// When this process last looked for dead lease holders (monotonic ns).
    private let lastSweep = Atomic<UInt64>(0)
    /// Sweeps run at most this often per process.
    static let sweepInterval: UInt64 = 250_000_000

    var location: String { address.description }
    var logger: Logger { options.logger }

    /// Connects to the server at `address` and makes sure the `dq` schema is there and
    /// current (creating or migrating it).
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` when the server cannot be reached or
    ///   refuses the login; `.badStore` for a schema written by a newer dq.
    init(address: PostgresAddress, options: StoreOptions) throws(DQError) {
        self.address = address
        self.options = options
        let location = address.description
        let create = options.access == .create
        let settings = Self.sessionSettings(options)
        // The schema is checked (created, migrated) on the store's first connection only.
        let prepared = Atomic<Bool>(false)
        pool = SessionPool(address: address, busyTimeout: options.busyTimeout, logger: options.logger,
                           settings: settings) { session throws(PostgresFailure) in
            if prepared.load(ordering: .acquiring) { return }
            try PostgresSchema.prepare(session, location: location, create: create)
            prepared.store(true, ordering: .releasing)
        }
        keeper = try SessionKeeper(pool: pool, busyTimeout: options.busyTimeout, logger: options.logger)
        // A restart that ends the listening connection ends the idle ones too.
        keeper.whenConnectionLost { [pool] in pool.idleMayBeLost() }
        try pool.connectNow()
    }

    /// The settings each of dq's connections starts with (its startup message):
    /// - `lock_timeout`: the busy timeout;
    /// - `enable_seqscan` off: plpgsql keeps each statement's plan for the session, and a
    ///   plan made while `dq.messages` was a page or two (a new store) read the whole table
    ///   for each claim and ack once it had grown (80 ms a take beside 200,000 messages).
    ///   In the startup message rather than on each function: a function's own `SET`
    ///   made a take of an empty queue 60–70 µs slower;
    /// - `synchronous_commit` on with `--sync full`: every commit waits for its WAL flush,
    ///   whatever the server's default.
    static func sessionSettings(_ options: StoreOptions) -> [(String, String)] {
        var settings = [("lock_timeout", "\(Int64(options.busyTimeout / .milliseconds(1)))ms"), ("enable_seqscan", "off")]
        if options.durability == .full { settings.append(("synchronous_commit", "on")) }
        return settings
    }

    deinit {
        reactorSlot.withLock { $0?.shutdown() }
    }

    var leaseHolderDescriptor: Int32? { nil }

    // MARK: Statements

    /// Runs `body` on a pooled connection (see `SessionPool.withSession(retrying:single:_:)`):
    /// `retrying` false for work that must not be done twice; `single` when `body` runs
    /// one statement (it may then run on the listening connection).
    func session<T>(retrying: Bool = true, single: Bool = false,
                    _ body: (PostgresSession) throws(PostgresFailure) -> T) throws(DQError) -> T {
        try pool.withSession(retrying: retrying, single: single, body)
    }

    /// The rows of one statement.
    func rows(_ query: PostgresQuery, retrying: Bool = true) throws(DQError) -> [PostgresRow] {
        try rows(statement: query, retrying: retrying)
    }

    /// The rows of one statement sent either way (`PostgresQuery`, `PreparedCall`).
    func rows(_ statement: some SessionStatement, retrying: Bool = true) throws(DQError) -> [PostgresRow] {
        try rows(statement: statement, retrying: retrying)
    }

    private func rows(statement: some SessionStatement, retrying: Bool) throws(DQError) -> [PostgresRow] {
        try session(retrying: retrying, single: true) { session throws(PostgresFailure) in try statement.rows(on: session) }
    }

    /// Runs one statement; returns how many rows it changed or returned.
    @discardableResult
    func run(_ query: PostgresQuery, retrying: Bool = true) throws(DQError) -> Int {
        try session(retrying: retrying, single: true) { session throws(PostgresFailure) in try session.run(query) }
    }

    /// Decodes a row, a mismatch being an internal error (the schema is ours); every row
    /// dq reads is decoded here. Cell by cell through the row's own iterator:
    /// postgres-nio's `PostgresRow.decode`, inlined here, would make this binary's first
    /// decode search every protocol conformance at run time (for
    /// `IndexingIterator<DataRow>`), 0.2-0.3 ms of a blocked reader's CPU.
    static func decode<each Column: PostgresDecodable>(_ row: PostgresRow, as type: (repeat each Column).Type)
        throws(DQError) -> (repeat each Column) {
        var cells = row.makeIterator()
        return try decoding { () throws -> (repeat each Column) in (repeat try nextCell(&cells, as: (each Column).self)) }
    }

    /// `decode` for a row of one column (a pack of one type is not inferred from `T.self`).
    static func decode<Column: PostgresDecodable>(_ row: PostgresRow, as type: Column.Type) throws(DQError) -> Column {
        var cells = row.makeIterator()
        return try decoding { try nextCell(&cells, as: type) }
    }

    private static func nextCell<Column: PostgresDecodable>(_ cells: inout PostgresRow.Iterator, as type: Column.Type) throws -> Column {
        guard var cell = cells.next() else { throw DQError(.internalError, "a row from PostgreSQL has too few columns") }
        // Every statement dq sends goes by the extended protocol, which asks for binary
        // results; the rows of a prepared one (`PreparedCall`) come labelled with the
        // formats of the server's description of the statement (text) all the same.
        cell.format = .binary
        return try cell.decode(type)
    }

    private static func decoding<T>(_ body: () throws -> T) throws(DQError) -> T {
        do {
            return try body()
        } catch let error as DQError {
            throw error
        } catch {
            throw DQError(.internalError, "unexpected row from PostgreSQL: \(error)")
        }
    }

    /// The first column of the first row of one statement (`nil`: no row, or NULL).
    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self, retrying: Bool = true) throws(DQError) -> T?
        where T._DecodableType == T {
        guard let row = try rows(query, retrying: retrying).first else { return nil }
        return try Self.decode(row, as: T?.self)
    }

    /// Wakes the readers waiting on `channel` in every process (outside any other write).
    func notify(_ channel: String) throws(DQError) {
        try run("SELECT pg_notify(dq.channel(\(channel)), '')")
    }

    // MARK: Waiting

    /// This store's wait reactor, made at the first wait.
    func reactor() throws(DQError) -> WaitReactor {
        try reactorSlot.withLock { slot throws(DQError) -> WaitReactor in
            if let reactor = slot { return reactor }
            let reactor = try WaitReactor(source: keeper)
            slot = reactor
            return reactor
        }
    }

    /// Whether this operation counts its traffic in its own statement (`TrafficTally`);
    /// first writes the counts this process kept, if it is time (best effort: statistics).
    func countsTraffic() -> Bool {
        let (count, flush) = tally.countNow()
        for statement in flush { _ = try? run(statement) }
        return count
    }

    /// Counts `deliveries` from `queue` (`QueueDeliveries`: each delivery's attempt and
    /// its message's wait, measured by the server's clock): written now by an operation
    /// that wrote its traffic counts (`counted`), else kept for the next write (best
    /// effort: statistics).
    func countDeliveries(_ deliveries: [(attempt: Int, waited: Int64)], from queue: String, counted: Bool) {
        let counts = QueueDeliveries(deliveries: deliveries)
        guard !counts.isEmpty else { return }
        tally.note(queue, deliveries: counts)
        if counted, let flush = tally.deliveriesFlush() { _ = try? run(flush) }
    }

    /// The argument of `dq.take` and `dq.receive` that has them return dead processes'
    /// leases first (this process's holder id, 0 for none) at most every `sweepInterval`
    /// per process; `nil` when no sweep is due.
    func sweepDue() -> Int32? {
        let now = SystemClock.monotonicNanoseconds()
        let last = lastSweep.load(ordering: .relaxed)
        guard now &- last >= Self.sweepInterval,
              lastSweep.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return nil }
        return keeper.currentHolder
    }

    /// Blocks until `look` returns a value, `timeout` passes (`nil`: never), or
    /// `interrupt` is signalled, sleeping on `channel`'s notifications in between. `look`
    /// is told whether the channel's last look found it drained (a get then asks whether
    /// it drains it again: see `WaitStep.drained`).
    ///
    /// With `queue` (a wait for the messages of that queue), the listening connection's
    /// `WaitProbe` makes the once-a-second safety re-check instead of `look`; otherwise
    /// `look` makes it.
    func wait<T>(on channel: String, timeout: Duration?, interrupt: WaitInterrupt?, queue: String? = nil,
                 look: (_ drainedBefore: Bool) throws(DQError) -> WaitStep<T>) throws(DQError) -> T? {
        if timeout == .zero { return try look(false).value }
        let reactor = try reactor()
        if let queue { keeper.probe.add(queue) }
        defer { if let queue { keeper.probe.remove(queue) } }
        return try reactor.wait(on: channel, timeout: timeout, interrupt: interrupt,
                                rechecks: queue == nil ? .byLooking : .bySource) { _ throws(DQError) in
            keeper.revive()
            return try look(reactor.lastLookDrained(channel))
        }
    }

    /// The async `wait(on:timeout:interrupt:queue:look:)`.
    func wait<T>(on channel: String, timeout: Duration?, queue: String? = nil,
                 look: (_ drainedBefore: Bool) throws(DQError) -> WaitStep<T>) async throws(DQError) -> T? {
        if timeout == .zero { return try look(false).value }
        let reactor = try reactor()
        if let queue { keeper.probe.add(queue) }
        defer { if let queue { keeper.probe.remove(queue) } }
        return try await reactor.wait(on: channel, timeout: timeout,
                                      rechecks: queue == nil ? .byLooking : .bySource) { _ throws(DQError) in
            keeper.revive()
            return try look(reactor.lastLookDrained(channel))
        }
    }
}
