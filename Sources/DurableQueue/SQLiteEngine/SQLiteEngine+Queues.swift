import FoundationEssentials

/// The queue part of the store contract on SQLite: each operation is one transaction
/// of `MessageTable` SQL, followed by the doorbell rings and traffic counts it calls for.
extension SQLiteEngine {
    func put(_ messages: [OutgoingMessage], on queue: String, progress: ((Int) -> Void)?) throws(DQError) -> [PutResult] {
        var early = Doorbells.EarlyRing.none
        var added = 0
        // Before the doorbells' file is mapped: a store open read-only touches none.
        try refuseIfReadOnly("write")
        doorbells.prepareToRing()
        let results = try write { connection in
            // Read the clock holding the write lock, so ids follow commit order.
            let now = Timestamp.now()
            var inserter = MessageTable.Inserter(connection, queue: queue, now: now)
            var results: [PutResult] = []
            results.reserveCapacity(messages.count)
            for message in messages {
                results.append(try inserter.insert(message))
                if let progress, results.count % 10_000 == 0 { progress(results.count) }
            }
            try inserter.finish()
            added = results.count { !$0.duplicate }
            // A lone waiter wakes while the commit is written (see `Doorbells`). Not when
            // the commit waits for an fsync: the reader would wake long before it ends
            // and poll for the write lock.
            if added > 0 && options.durability == .normal {
                early = doorbells.ringBeforeCommit(queue)
            }
            return results
        }
        if added > 0 {
            doorbells.ringAfterCommit(queue, early: early)
            traffic.added(added, to: queue)
        }
        return results
    }

    func get(from queue: String, limit: Int, timeout: Duration?, interrupt: WaitInterrupt?) throws(DQError) -> [Message] {
        let seat = handoffSeat(for: queue, waiting: timeout)
        let taken = try waitForMessages(on: queue, timeout: timeout, interrupt: interrupt, seat: seat,
                                        take: removal(from: queue, limit: limit))
        traffic.removed(taken.count, from: queue)
        deliveries.delivered(taken, from: queue)
        return taken
    }

    func get(from queue: String, limit: Int, timeout: Duration?) async throws(DQError) -> [Message] {
        let seat = handoffSeat(for: queue, waiting: timeout)
        let taken = try await waitForMessages(on: queue, timeout: timeout, seat: seat, take: removal(from: queue, limit: limit))
        traffic.removed(taken.count, from: queue)
        deliveries.delivered(taken, from: queue)
        return taken
    }

    /// A get's take: removes up to `limit` messages in one write transaction.
    private func removal(from queue: String, limit: Int) -> MessageTake<Message> {
        { [self] () throws(DQError) in
            // A get is at-most-once: under `Durability.full` its removal must reach the
            // disk before the message is handed over, so it is fsynced like a put.
            try write { connection in
                let now = Timestamp.now()
                try MessageTable.promoteDue(connection, queue: queue, now: now)
                let messages = try MessageTable.removeNext(connection, queue: queue, limit: limit, now: now,
                                                            drained: drainedLanes)
                return (messages, messages.isEmpty ? try MessageTable.nextDue(connection, queue: queue) : nil)
            }
        }
    }

    func receive(from queue: String, lease: Duration, limit: Int, timeout: Duration?, maxAttempts: Int,
                 acking: [Receipt], releaseOnExit: Bool, limits: WorkLimits?, interrupt: WaitInterrupt?) throws(DQError) -> [LeasedMessage] {
        let take = try leasing(from: queue, lease: lease, limit: limit, maxAttempts: maxAttempts, acking: acking,
                               releaseOnExit: releaseOnExit, limits: limits)
        // With acks, the first take runs at once: they commit whether or not there is a
        // message to lease, before any wait.
        return try waitForMessages(on: queue, timeout: timeout, interrupt: interrupt, takeFirst: !acking.isEmpty, take: take)
    }

    func receive(from queue: String, lease: Duration, limit: Int, timeout: Duration?, maxAttempts: Int,
                 acking: [Receipt], releaseOnExit: Bool, limits: WorkLimits?) async throws(DQError) -> [LeasedMessage] {
        let take = try leasing(from: queue, lease: lease, limit: limit, maxAttempts: maxAttempts, acking: acking,
                               releaseOnExit: releaseOnExit, limits: limits)
        return try await waitForMessages(on: queue, timeout: timeout, takeFirst: !acking.isEmpty, take: take)
    }

    /// A receive's take: acks `acking` (the first time only) and leases up to `limit`
    /// messages, as many as `limits` allow, in one write transaction.
    private func leasing(from queue: String, lease: Duration, limit: Int, maxAttempts: Int, acking: [Receipt],
                         releaseOnExit: Bool, limits: WorkLimits?) throws(DQError) -> MessageTake<LeasedMessage> {
        let length = Timestamp.microseconds(lease)
        let holder = releaseOnExit ? try holders.holderID(store: self) : nil
        var unacked = acking
        return { [self] () throws(DQError) in
            let acks = unacked
            let result = try write(.takes) { connection -> (taken: [LeasedMessage], nextDue: Int64?) in
                for receipt in acks where !(try MessageTable.ack(connection, queue: queue, receipt: receipt, drained: drainedLanes)) {
                    // As `Queue.ack` tells them apart: a receipt of another queue is no stale one.
                    if let owner = try MessageTable.queue(ofReceipt: receipt, connection), owner != queue {
                        throw DQError.receipt(receipt, of: owner, not: queue)
                    }
                    throw DQError.stale(receipt)
                }
                let now = Timestamp.now()
                var allowed = limit
                if let limits {
                    let allowance = try MessageTable.allowance(connection, queue: queue, limit: limit, limits: limits, now: now)
                    if allowance.allowed == 0 { return ([], allowance.until) }
                    allowed = allowance.allowed
                }
                try MessageTable.promoteDue(connection, queue: queue, now: now)
                let leased = try MessageTable.lease(connection, queue: queue, limit: allowed, now: now,
                                                    until: now &+ length, maxAttempts: maxAttempts, holder: holder,
                                                    drained: drainedLanes)
                if let limits { try MessageTable.recordLimited(connection, queue: queue, leased: leased, limits: limits, now: now) }
                return (leased, leased.isEmpty ? try MessageTable.nextDue(connection, queue: queue) : nil)
            }
            unacked = []
            traffic.removed(acks.count, from: queue)
            deliveries.delivered(result.taken.lazy.map(\.message), from: queue)
            return result
        }
    }

    /// The blocking part of every read: runs `take` until it takes something, the
    /// timeout passes, or `interrupt` is signalled (see `MessageWaiting`).
    func waitForMessages<T>(on queue: String, timeout: Duration?, interrupt: WaitInterrupt?, takeFirst: Bool = false,
                            seat: HandoffSeat<T>? = nil, take: @escaping MessageTake<T>) throws(DQError) -> [T] {
        var waiting = MessageWaiting(engine: self, queue: queue, seat: seat, take: take)
        if let taken = try waiting.takeAtOnce(timeout: timeout, takeFirst: takeFirst) { return taken }
        let outcome: Result<[T]?, DQError>
        do {
            outcome = .success(try reactor().wait(on: queue, timeout: timeout, interrupt: interrupt) { rang throws(DQError) in
                try waiting.look(rang: rang)
            })
        } catch {
            outcome = .failure(error)
        }
        return try waiting.finish(outcome)
    }

    /// The async part of every read: as the blocking one, ending with
    /// `DQError.Kind.cancelled` when the task is cancelled before anything was taken.
    func waitForMessages<T>(on queue: String, timeout: Duration?, takeFirst: Bool = false,
                            seat: HandoffSeat<T>? = nil, take: @escaping MessageTake<T>) async throws(DQError) -> [T] {
        var waiting = MessageWaiting(engine: self, queue: queue, seat: seat, take: take)
        if let taken = try waiting.takeAtOnce(timeout: timeout, takeFirst: takeFirst) { return taken }
        let outcome: Result<[T]?, DQError>
        do {
            outcome = .success(try await reactor().wait(on: queue, timeout: timeout) { rang throws(DQError) in
                try waiting.look(rang: rang)
            })
        } catch {
            outcome = .failure(error)
        }
        return try waiting.finish(outcome)
    }

    func ack(_ receipt: Receipt, on queue: String) throws(DQError) -> Bool {
        let found = try write(.takes) { try MessageTable.ack($0, queue: queue, receipt: receipt, drained: drainedLanes) }
        if found { traffic.removed(1, from: queue) }
        return found
    }

    func nack(_ receipt: Receipt, on queue: String, delay: Duration, maxAttempts: Int,
              failure: DeliveryFailure?) throws(DQError) -> Bool {
        let found = try write { connection in
            let now = Timestamp.now()
            let until = delay > .zero ? now &+ Timestamp.microseconds(delay) : nil
            return try MessageTable.nack(connection, queue: queue, receipt: receipt, until: until, now: now,
                                         maxAttempts: maxAttempts, failure: failure, drained: drainedLanes)
        }
        if found { doorbells.ring(queue) }
        return found
    }

    func extend(_ receipt: Receipt, on queue: String, by lease: Duration) throws(DQError) -> Bool {
        try write(.takes) { connection in
            try MessageTable.extend(connection, queue: queue, receipt: receipt,
                                    until: Timestamp.now() &+ Timestamp.microseconds(lease))
        }
    }

    func release(_ receipt: Receipt, on queue: String) throws(DQError) -> Bool {
        let found = try write { try MessageTable.release($0, queue: queue, receipt: receipt) }
        if found { doorbells.ring(queue) }
        return found
    }

    func queue(ofReceipt receipt: Receipt) throws(DQError) -> String? {
        try read { try MessageTable.queue(ofReceipt: receipt, $0) }
    }

    func peek(_ queue: String, limit: Int) throws(DQError) -> [Message] {
        let now = Timestamp.now()
        return try read { try MessageTable.peek($0, queue: queue, limit: limit, now: now) }
    }

    func count(_ queue: String) throws(DQError) -> Int {
        let now = Timestamp.now()
        return try read { try MessageTable.deliverableCount($0, queue: queue, now: now) }
    }

    func purge(_ queue: String) throws(DQError) -> Int {
        try write { try MessageTable.purge($0, queue: queue) }
    }

    func deadLetters(of queue: String, limit: Int) throws(DQError) -> [DeadLetter] {
        try read { try MessageTable.deadLetters($0, queue: queue, limit: limit) }
    }

    func retryDead(of queue: String) throws(DQError) -> Int {
        let count = try write { try MessageTable.retryDead($0, queue: queue) }
        if count > 0 { doorbells.ring(queue) }
        return count
    }

    func purgeDead(of queue: String) throws(DQError) -> Int {
        try write { try MessageTable.purgeDead($0, queue: queue) }
    }

    func deliveries(ofQueue queue: String) -> QueueDeliveries {
        readOnly == nil ? deliveries.reading(queue) : .none
    }

    func traffic(ofQueue queue: String) -> QueueTraffic {
        // The counters' file is made on first use: a store open read-only makes none.
        readOnly == nil ? traffic.reading(queue) : QueueTraffic(added: 0, removed: 0)
    }
}
