import DurableQueue
import FoundationEssentials
import NIOCore
import PostgresNIO

/// The queue part of the store contract on PostgreSQL: each operation is one call of a
/// `dq` function or one statement (`PostgresSchema`).
extension PostgresEngine {
    func put(_ messages: [OutgoingMessage], on queue: String, progress: ((Int) -> Void)?) throws(DQError) -> [PutResult] {
        let slices = Self.slices(messages)
        let counts = countsTraffic()
        // A retry after a lost connection could store the batch twice, unless every
        // message has a dedup key.
        let retrying = messages.allSatisfy { $0.key != nil }
        if slices.count == 1 {
            let results = try putSlice(messages[...], on: queue, retrying: retrying, counts: counts)
            if !counts { tally.note(queue, added: results.count { !$0.duplicate }) }
            return results
        }
        // A batch too large for one message to the server goes in slices, in one transaction.
        let results = try session(retrying: retrying) { session throws(PostgresFailure) -> [PutResult] in
            try session.run("BEGIN")
            do throws(PostgresFailure) {
                var results: [PutResult] = []
                results.reserveCapacity(messages.count)
                for slice in slices {
                    results += try Self.putResults(session.rows(Self.putQuery(messages[slice], on: queue, counts: counts)))
                    progress?(results.count)
                }
                try session.run("COMMIT")
                return results
            } catch {
                _ = try? session.run("ROLLBACK")
                throw error
            }
        }
        if !counts { tally.note(queue, added: results.count { !$0.duplicate }) }
        return results
    }

    /// `messages` cut in ranges of at most 10,000 messages and 64 MiB of bodies.
    static func slices(_ messages: [OutgoingMessage]) -> [Range<Int>] {
        var slices: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, message) in messages.enumerated() {
            if index > start && (index - start == 10_000 || bytes + message.body.count > 64 << 20) {
                slices.append(start..<index)
                start = index
                bytes = 0
            }
            bytes += message.body.count
        }
        slices.append(start..<messages.count)
        return slices
    }

    private func putSlice(_ messages: ArraySlice<OutgoingMessage>, on queue: String, retrying: Bool,
                          counts: Bool) throws(DQError) -> [PutResult] {
        if messages.count == 1, let message = messages.first {
            guard let row = try putRows(Self.putOneCall(message, on: queue, counts: counts), on: queue, retrying: retrying).first,
                  let signed = try Self.decode(row, as: Int64?.self) else {
                throw DQError(.internalError, "no id from dq.put_one")
            }
            return [PutResult(id: abs(signed), duplicate: signed < 0)]
        }
        let results = try putRows(Self.putQuery(messages, on: queue, counts: counts), on: queue, retrying: retrying)
        do {
            return try Self.putResults(results)
        } catch {
            throw DQError(.internalError, "unexpected row from PostgreSQL: \(error)")
        }
    }

    /// The rows of one statement that puts on `queue`. If it ran on the listening
    /// connection, rings this process's waiters on `queue` after it: a put does not
    /// notify the session it runs on (`dq.listen`).
    func putRows(_ statement: some SessionStatement, on queue: String, retrying: Bool) throws(DQError) -> [PostgresRow] {
        try rowsRingingHere(statement, retrying: retrying) { _ throws(DQError) in keeper.ringHere(queue) }
    }

    /// The rows of one statement that puts (through `dq.put` or `dq.put_one`). If it ran
    /// on the listening connection, `ring` rings this process's waiters on what it put
    /// to, given its rows: a put does not notify the session it runs on (`dq.listen`).
    func rowsRingingHere(_ statement: some SessionStatement, retrying: Bool,
                         ring: ([PostgresRow]) throws(DQError) -> Void) throws(DQError) -> [PostgresRow] {
        let (rows, listening) = try session(retrying: retrying, single: true) { session throws(PostgresFailure) in
            (try statement.rows(on: session), pool.isListening(session))
        }
        if listening { try ring(rows) }
        return rows
    }

    /// One call of `dq.put_one` for `message` (prepared: most puts are this one): its id,
    /// or minus the id of the message that holds its key.
    static func putOneCall(_ message: OutgoingMessage, on queue: String, counts: Bool) -> PreparedCall {
        PreparedCall("SELECT dq.put_one($1, $2, $3, $4, $5, $6, $7, $8)",
                     .text(queue), .bytes(message.body), .int8(Int64(message.priority)),
                     .int8(max(0, Timestamp.microseconds(message.delay))), .text(message.key), .bool(counts),
                     .text(message.replyTo), .bool(message.key != nil && message.uniqueUntil == .started))
    }

    /// One call of `dq.put` for `messages`.
    static func putQuery(_ messages: ArraySlice<OutgoingMessage>, on queue: String, counts: Bool) -> PostgresQuery {
        let bodies = messages.map { ByteBuffer(bytes: $0.body) }
        let priorities = messages.map { Int64($0.priority) }
        let delays = messages.map { max(0, Timestamp.microseconds($0.delay)) }
        let keys = messages.map { $0.key ?? "" }
        let replyTos: [String]? = messages.contains { $0.replyTo != nil } ? messages.map { $0.replyTo ?? "" } : nil
        let untilStarted: [Bool]? = messages.contains { $0.key != nil && $0.uniqueUntil == .started }
            ? messages.map { $0.uniqueUntil == .started } : nil
        return """
            SELECT id, duplicate FROM dq.put(\(queue), \(bodies), \(priorities), \(delays), \(keys), \(counts), \(replyTos),
                                             \(untilStarted))
            """
    }

    static func putResults(_ rows: [PostgresRow]) throws(PostgresFailure) -> [PutResult] {
        var results: [PutResult] = []
        results.reserveCapacity(rows.count)
        for row in rows {
            guard let (id, duplicate) = try? Self.decode(row, as: (Int64, Bool).self) else {
                throw PostgresFailure(.error(DQError(.internalError, "unexpected row from dq.put")))
            }
            results.append(PutResult(id: id, duplicate: duplicate))
        }
        return results
    }

    // MARK: Reads

    func get(from queue: String, limit: Int, timeout: Duration?, interrupt: WaitInterrupt?) throws(DQError) -> [Message] {
        try wait(on: queue, timeout: timeout, interrupt: interrupt, queue: queue) { drainedBefore throws(DQError) in
            try take(from: queue, limit: limit, sayDrained: drainedBefore)
        } ?? []
    }

    func get(from queue: String, limit: Int, timeout: Duration?) async throws(DQError) -> [Message] {
        try await wait(on: queue, timeout: timeout, queue: queue) { drainedBefore throws(DQError) in
            try take(from: queue, limit: limit, sayDrained: drainedBefore)
        } ?? []
    }

    /// One get: removes up to `limit` deliverable messages, or says when to look again;
    /// with `sayDrained` (the queue is likely to be empty after: it was before), also
    /// whether it left the queue empty, at the cost of one more index lookup.
    private func take(from queue: String, limit: Int, sayDrained: Bool) throws(DQError) -> WaitStep<[Message]> {
        let counts = countsTraffic()
        if limit == 1 { return try takeOne(from: queue, sayDrained: sayDrained, counts: counts) }
        let rows = try rows("""
            SELECT id, seq, priority, body, enqueued_at, attempts, reply_to,
                   (extract(epoch FROM now() - enqueued_at) * 1000000)::bigint
            FROM dq.take(\(queue), \(Int32(clamping: limit)), \(sweepDue()), \(counts), \(sayDrained))
            """, retrying: false)
        var messages: [(seq: Int64, item: Message)] = []
        var deliveries: [(attempt: Int, waited: Int64)] = []
        var drained = false
        for row in rows {
            let (id, seq, priority, body, enqueuedAt, attempt, replyTo, waited) = try Self.decode(
                row, as: (Int64?, Int64?, Int?, Data?, Date?, Int?, String?, Int64?).self)
            guard let id, let seq, let priority, let body, let enqueuedAt, let attempt else {
                // The row with no id: nothing taken (when to look again), or the queue left empty.
                if messages.isEmpty, let seq { return .notYet(until: Self.due(afterServerWait: seq)) }
                drained = true
                continue
            }
            var message = Message(id: id, queue: queue, body: body, priority: priority, enqueuedAt: enqueuedAt,
                                  attempt: attempt)
            message.replyTo = replyTo
            messages.append((seq, message))
            deliveries.append((attempt, waited ?? 0))
        }
        if !counts { tally.note(queue, removed: messages.count) }
        if messages.isEmpty { return .drained(nil) }
        let taken = Self.inDeliveryOrder(messages) { $0.priority }
        countDeliveries(deliveries, from: queue, counted: counts)
        return drained ? .drained(taken) : .done(taken)
    }

    /// `take` of one message, through `dq.take_one`.
    private func takeOne(from queue: String, sayDrained: Bool, counts: Bool) throws(DQError) -> WaitStep<[Message]> {
        guard let row = try rows(PreparedCall("""
            SELECT id, priority, body, enqueued_at, attempts, reply_to, waited, next_due, drained
            FROM dq.take_one($1, $2, $3, $4)
            """, .text(queue), .int4(sweepDue()), .bool(counts), .bool(sayDrained)), retrying: false).first else {
            throw DQError(.internalError, "no row from dq.take_one")
        }
        let (id, priority, body, enqueuedAt, attempt, replyTo, waited, nextDue, drained) = try Self.decode(
            row, as: (Int64?, Int?, Data?, Date?, Int?, String?, Int64?, Int64?, Bool).self)
        guard let id, let priority, let body, let enqueuedAt, let attempt else {
            return nextDue.map { .notYet(until: Self.due(afterServerWait: $0)) } ?? .drained(nil)
        }
        var message = Message(id: id, queue: queue, body: body, priority: priority, enqueuedAt: enqueuedAt, attempt: attempt)
        message.replyTo = replyTo
        if !counts { tally.note(queue, removed: 1) }
        countDeliveries([(attempt, waited ?? 0)], from: queue, counted: counts)
        return drained ? .drained([message]) : .done([message])
    }

    /// `RETURNING` gives rows in no set order: higher priority first, then by `seq`.
    static func inDeliveryOrder<T>(_ items: [(seq: Int64, item: T)], priority: (T) -> Int) -> [T] {
        items.sorted { a, b in
            let (pa, pb) = (priority(a.item), priority(b.item))
            return pa != pb ? pa > pb : a.seq < b.seq
        }.map(\.item)
    }

    /// When to look again (µs since the epoch on this machine's clock) for a message due
    /// `wait` µs from now on the server's clock (the clocks may differ); `nil` for none. A
    /// due time already passed is a row another consumer holds locked for a moment.
    static func due(afterServerWait wait: Int64?) -> Int64? {
        wait.map { Timestamp.now() + max($0, 10_000) }
    }

    func receive(from queue: String, lease: Duration, limit: Int, timeout: Duration?, maxAttempts: Int,
                 acking: [Receipt], releaseOnExit: Bool, limits: WorkLimits?, interrupt: WaitInterrupt?) throws(DQError) -> [LeasedMessage] {
        let holder = releaseOnExit ? try keeper.holderID() : nil
        if let settled = try ackFirst(acking, queue, lease: lease, limit: limit, maxAttempts: maxAttempts, holder: holder,
                                      limits: limits, timeout: timeout) {
            return settled
        }
        return try wait(on: queue, timeout: timeout, interrupt: interrupt, queue: queue) { _ throws(DQError) in
            try self.lease(from: queue, lease: lease, limit: limit, maxAttempts: maxAttempts, holder: holder, acking: [],
                           limits: limits)
        } ?? []
    }

    func receive(from queue: String, lease: Duration, limit: Int, timeout: Duration?, maxAttempts: Int,
                 acking: [Receipt], releaseOnExit: Bool, limits: WorkLimits?) async throws(DQError) -> [LeasedMessage] {
        let holder = releaseOnExit ? try keeper.holderID() : nil
        if let settled = try ackFirst(acking, queue, lease: lease, limit: limit, maxAttempts: maxAttempts, holder: holder,
                                      limits: limits, timeout: timeout) {
            return settled
        }
        return try await wait(on: queue, timeout: timeout, queue: queue) { _ throws(DQError) in
            try self.lease(from: queue, lease: lease, limit: limit, maxAttempts: maxAttempts, holder: holder, acking: [],
                           limits: limits)
        } ?? []
    }

    /// A receive's first lease when it acks: the acks commit whether or not there is
    /// anything to lease, before any wait. Returns what the receive returns at once, or
    /// `nil` when it is to wait (also when there is nothing to ack).
    private func ackFirst(_ acking: [Receipt], _ queue: String, lease: Duration, limit: Int, maxAttempts: Int,
                          holder: Int32?, limits: WorkLimits?, timeout: Duration?) throws(DQError) -> [LeasedMessage]? {
        guard !acking.isEmpty else { return nil }
        let first = try self.lease(from: queue, lease: lease, limit: limit, maxAttempts: maxAttempts, holder: holder,
                                   acking: acking, limits: limits)
        if let leased = first.value { return leased }
        return timeout == .zero ? [] : nil
    }

    /// One receive: acks `acking`, then leases up to `limit` messages (as many as
    /// `limits` allow: `dq.receive_limited`).
    private func lease(from queue: String, lease: Duration, limit: Int, maxAttempts: Int, holder: Int32?,
                       acking: [Receipt], limits: WorkLimits?) throws(DQError) -> WaitStep<[LeasedMessage]> {
        let ackIDs = acking.map(\.position)
        let ackTokens = acking.map(\.token)
        // A lease retried after a lost connection is at-least-once anyway; acks are not.
        let countedNow = countsTraffic()
        let counts = acking.isEmpty || countedNow
        let leaseMicros = max(0, Timestamp.microseconds(lease))
        let statement: any SessionStatement
        if let limits {
            let query: PostgresQuery = """
                SELECT id, seq, priority, body, enqueued_at, attempts, token, leased_until, reply_to,
                       (extract(epoch FROM now() - enqueued_at) * 1000000)::bigint
                FROM dq.receive_limited(\(queue), \(Int32(clamping: limit)), \(leaseMicros), \(Int32(clamping: maxAttempts)),
                                        \(holder), \(ackIDs), \(ackTokens), \(sweepDue()), \(counts),
                                        \(limits.maxRunning.map { Int32(clamping: $0) }), \(limits.rate.map { Timestamp.microseconds($0.interval) }))
                """
            statement = query
        } else {
            statement = PreparedCall("""
                SELECT id, seq, priority, body, enqueued_at, attempts, token, leased_until, reply_to,
                       (extract(epoch FROM now() - enqueued_at) * 1000000)::bigint
                FROM dq.receive($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """, .text(queue), .int4(Int32(clamping: limit)), .int8(leaseMicros), .int4(Int32(clamping: maxAttempts)),
                .int4(holder), .int8Array(ackIDs), .int8Array(ackTokens), .int4(sweepDue()), .bool(counts))
        }
        let rows = try rows(statement, retrying: acking.isEmpty)
        if !counts { tally.note(queue, removed: acking.count) }
        var leased: [(seq: Int64, item: LeasedMessage)] = []
        var deliveries: [(attempt: Int, waited: Int64)] = []
        for row in rows {
            let (id, seq, priority, body, enqueuedAt, attempt, token, until, replyTo, waited) = try Self.decode(
                row, as: (Int64?, Int64?, Int?, Data?, Date?, Int?, Int64?, Date?, String?, Int64?).self)
            guard let id, let seq, let priority, let body, let enqueuedAt, let attempt, let token, let until else {
                return .notYet(until: Self.due(afterServerWait: seq))
            }
            var message = Message(id: id, queue: queue, body: body, priority: priority, enqueuedAt: enqueuedAt, attempt: attempt)
            message.replyTo = replyTo
            leased.append((seq, LeasedMessage(message: message, receipt: Receipt(position: id, id: id, token: token),
                                              leasedUntil: until)))
            deliveries.append((attempt, waited ?? 0))
        }
        countDeliveries(deliveries, from: queue, counted: countedNow)
        return .done(Self.inDeliveryOrder(leased) { $0.message.priority })
    }

    // MARK: Settling

    func ack(_ receipt: Receipt, on queue: String) throws(DQError) -> Bool {
        let counts = countsTraffic()
        let acked = try flag(PreparedCall("SELECT dq.ack($1, $2, $3, $4)", .text(queue), .int8(receipt.position),
                                          .int8(receipt.token), .bool(counts)), retrying: false)
        if acked && !counts { tally.note(queue, removed: 1) }
        return acked
    }

    func nack(_ receipt: Receipt, on queue: String, delay: Duration, maxAttempts: Int,
              failure: DeliveryFailure?) throws(DQError) -> Bool {
        try flag("""
            SELECT dq.nack(\(queue), \(receipt.position), \(receipt.token), \(max(0, Timestamp.microseconds(delay))),
                           \(Int32(clamping: maxAttempts)), \(failure?.error), \(failure?.exitStatus.map(Int32.init))::integer,
                           \(failure?.signal.map(Int32.init))::integer)
            """, retrying: false)
    }

    func extend(_ receipt: Receipt, on queue: String, by lease: Duration) throws(DQError) -> Bool {
        try run("""
            UPDATE dq.messages SET visible_at = now() + \(max(0, Timestamp.microseconds(lease))) * interval '1 microsecond',
                                   parked = \(lease > .zero)
            WHERE id = \(receipt.position) AND lease_token = \(receipt.token) AND queue = \(queue)
            """) == 1
    }

    func release(_ receipt: Receipt, on queue: String) throws(DQError) -> Bool {
        try run("""
            WITH r AS (
                UPDATE dq.messages SET attempts = greatest(attempts - 1, 0), lease_token = NULL, holder = NULL, visible_at = now(),
                                       parked = false
                WHERE id = \(receipt.position) AND lease_token = \(receipt.token) AND queue = \(queue) RETURNING queue)
            SELECT pg_notify(dq.channel(r.queue), '') FROM r
            """) == 1
    }

    func queue(ofReceipt receipt: Receipt) throws(DQError) -> String? {
        try scalar("SELECT queue FROM dq.messages WHERE id = \(receipt.position) AND lease_token = \(receipt.token)", as: String.self)
    }

    /// The one boolean a statement returns.
    func flag(_ query: PostgresQuery, retrying: Bool = true) throws(DQError) -> Bool {
        try flag(statement: query, retrying: retrying)
    }

    /// `flag` for a statement sent either way.
    func flag(_ statement: some SessionStatement, retrying: Bool = true) throws(DQError) -> Bool {
        try flag(statement: statement, retrying: retrying)
    }

    private func flag(statement query: some SessionStatement, retrying: Bool) throws(DQError) -> Bool {
        guard let row = try rows(query, retrying: retrying).first else { return false }
        return try Self.decode(row, as: Bool.self)
    }

    // MARK: Counts

    /// The next `limit` deliverable messages: the first unparked ones in order, and the
    /// parked ones that have come due (a claim would unpark them first).
    func peek(_ queue: String, limit: Int) throws(DQError) -> [Message] {
        let rows = try rows("""
            SELECT id, priority, body, enqueued_at, attempts + 1 FROM (
                (SELECT id, seq, priority, body, enqueued_at, attempts FROM dq.messages
                 WHERE queue = \(queue) AND NOT parked AND visible_at <= now() ORDER BY priority DESC, seq LIMIT \(limit))
                UNION ALL
                (SELECT id, seq, priority, body, enqueued_at, attempts FROM dq.messages
                 WHERE queue = \(queue) AND parked AND visible_at <= now() ORDER BY priority DESC, seq LIMIT \(limit))) m
            ORDER BY priority DESC, seq LIMIT \(limit)
            """)
        var messages: [Message] = []
        for row in rows {
            let (id, priority, body, enqueuedAt, attempt) = try Self.decode(row, as: (Int64, Int, Data, Date, Int).self)
            messages.append(Message(id: id, queue: queue, body: body, priority: priority, enqueuedAt: enqueuedAt, attempt: attempt))
        }
        return messages
    }

    func count(_ queue: String) throws(DQError) -> Int {
        try scalar("""
            SELECT (SELECT count(*) FROM dq.messages WHERE queue = \(queue) AND NOT parked AND visible_at <= now())
                 + (SELECT count(*) FROM dq.messages WHERE queue = \(queue) AND parked AND visible_at <= now())
            """, as: Int.self) ?? 0
    }

    func purge(_ queue: String) throws(DQError) -> Int {
        try run("DELETE FROM dq.messages WHERE queue = \(queue)")
    }

    func deliveries(ofQueue queue: String) -> QueueDeliveries {
        guard let rows = try? rows("SELECT redelivered, wait_us, waits FROM dq.deliveries WHERE queue = \(queue)") else { return .none }
        return rows.reduce(QueueDeliveries(redelivered: 0, waits: [], waitMicroseconds: 0)) { total, row in
            guard let (redelivered, waited, waits) = try? Self.decode(row, as: (Int64, Int64, [Int64]).self) else { return total }
            return total.adding(QueueDeliveries(redelivered: UInt64(max(0, redelivered)), waits: waits.map { UInt64(max(0, $0)) },
                                                waitMicroseconds: UInt64(max(0, waited))))
        }
    }

        func traffic(ofQueue queue: String) -> QueueTraffic {
        guard let row = try? rows("""
            SELECT coalesce(sum(added), 0)::bigint, coalesce(sum(removed), 0)::bigint FROM dq.traffic WHERE queue = \(queue)
            """).first, let (added, removed) = try? Self.decode(row, as: (Int64, Int64).self) else {
            return QueueTraffic(added: 0, removed: 0)
        }
        return QueueTraffic(added: UInt64(max(0, added)), removed: UInt64(max(0, removed)))
    }

    // MARK: Dead letters

    func deadLetters(of queue: String, limit: Int) throws(DQError) -> [DeadLetter] {
        let rows = try rows("""
            SELECT id, priority, body, enqueued_at, attempts, died_at, last_error, exit_status, signal
            FROM dq.dead WHERE queue = \(queue) ORDER BY id LIMIT \(limit)
            """)
        var dead: [DeadLetter] = []
        for row in rows {
            let (id, priority, body, enqueuedAt, attempts, diedAt, error, exitStatus, signal) = try Self.decode(
                row, as: (Int64, Int, Data, Date, Int, Date, String?, Int?, Int?).self)
            let message = Message(id: id, queue: queue, body: body, priority: priority, enqueuedAt: enqueuedAt, attempt: attempts)
            let failure = error.map { DeliveryFailure($0, exitStatus: exitStatus, signal: signal) }
            dead.append(DeadLetter(message: message, deadAt: diedAt, failure: failure))
        }
        return dead
    }

    func retryDead(of queue: String) throws(DQError) -> Int {
        try retryDead(queue, ids: nil).count
    }

    func retryDead(_ ids: [Int64], of queue: String) throws(DQError) -> [Int64] {
        try retryDead(queue, ids: ids)
    }

    /// Puts the dead letters `ids` of `queue` (`nil`: all) back at the end of the queue
    /// under their own ids, with no attempts counted, in one statement that takes turns
    /// with puts (so it keeps commit order); returns their ids.
    private func retryDead(_ queue: String, ids: [Int64]?) throws(DQError) -> [Int64] {
        let rows = try rows("""
            WITH l AS (SELECT pg_advisory_xact_lock(\(PostgresSchema.LockSpace.puts), hashtext(\(queue))) AS locked),
            d AS (
                DELETE FROM dq.dead WHERE (SELECT true FROM l) AND queue = \(queue) AND (\(ids == nil) OR id = ANY(\(ids ?? [])))
                RETURNING id, queue, priority, body, enqueued_at),
            i AS (
                INSERT INTO dq.messages (id, seq, queue, priority, body, enqueued_at, visible_at)
                SELECT id, nextval('dq.message_ids'), queue, priority, body, enqueued_at, now() FROM (SELECT * FROM d ORDER BY id) o
                RETURNING id)
            SELECT id FROM i ORDER BY id
            """, retrying: false)
        let retried = try rows.map { row throws(DQError) in try Self.decode(row, as: Int64.self) }
        if !retried.isEmpty { try notify(queue) }
        return retried
    }

    func purgeDead(of queue: String) throws(DQError) -> Int {
        try run("DELETE FROM dq.dead WHERE queue = \(queue)")
    }
}
