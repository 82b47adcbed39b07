import FoundationEssentials

/// The queue part of the store contract on SQLite: each operation is one transaction
/// of `MessageTable` SQL, followed by the doorbell rings and traffic counts it calls for.
extension SQLiteEngine {
    func put(_ messages: [OutgoingMessage], on queue: String, progress: ((Int) -> Void)?) throws(DQError) -> [PutResult] {
        var early = Doorbells.EarlyRing.none
        var added = 0
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
        let taken = try waitForMessages(on: queue, timeout: timeout, interrupt: interrupt) { () throws(DQError) in
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
        traffic.removed(taken.count, from: queue)
        return taken
    }

    func receive(from queue: String, lease: Duration, limit: Int, timeout: Duration?, maxAttempts: Int,
                 acking: [Receipt], releaseOnExit: Bool, interrupt: WaitInterrupt?) throws(DQError) -> [LeasedMessage] {
        let length = Timestamp.microseconds(lease)
        let holder = releaseOnExit ? try holders.holderID(store: self) : nil
        var unacked = acking
        func take() throws(DQError) -> (taken: [LeasedMessage], nextDue: Int64?) {
            let acks = unacked
            let result = try write(.takes) { connection in
                for receipt in acks where !(try MessageTable.ack(connection, queue: queue, receipt: receipt, drained: drainedLanes)) {
                    throw DQError.stale(receipt)
                }
                let now = Timestamp.now()
                try MessageTable.promoteDue(connection, queue: queue, now: now)
                let leased = try MessageTable.lease(connection, queue: queue, limit: limit, now: now,
                                                    until: now &+ length, maxAttempts: maxAttempts, holder: holder,
                                                    drained: drainedLanes)
                return (leased, leased.isEmpty ? try MessageTable.nextDue(connection, queue: queue) : nil)
            }
            unacked = []
            traffic.removed(acks.count, from: queue)
            return result
        }
        // With acks, the first take runs at once: they commit whether or not there is a
        // message to lease, before any wait.
        return try waitForMessages(on: queue, timeout: timeout, interrupt: interrupt, takeFirst: !acking.isEmpty, take: take)
    }

    /// The blocking part of every read: runs `take` (one write transaction that returns
    /// what it took and, when nothing, when something next falls due) until it takes
    /// something, the timeout passes, or `interrupt` is signalled.
    ///
    /// A caller that may wait sleeps on the queue's doorbell (docs/ARCHITECTURE.md, "The
    /// wake-up protocol"). Each look is one read transaction (is anything deliverable,
    /// and if not, when does something fall due) before the write lock is taken, so an
    /// empty queue costs one read, and several readers woken for one message do not
    /// queue on the lock. With `takeFirst`, `take` runs once before any look or wait,
    /// whatever the timeout (for work it must commit at once, such as acks).
    func waitForMessages<T>(on queue: String, timeout: Duration?, interrupt: WaitInterrupt?, takeFirst: Bool = false,
                            take: () throws(DQError) -> (taken: [T], nextDue: Int64?)) throws(DQError) -> [T] {
        // Leases of consumers that died come back first (at most every 250 ms).
        try holders.sweep(store: self)
        if timeout == .zero || takeFirst {
            let taken = try take().taken
            if !taken.isEmpty || timeout == .zero {
                // Nothing to take: a backlog may just have drained.
                if taken.isEmpty { checkpointer.scheduleReclaim() }
                return taken
            }
        }
        var reclaimAsked = false
        return try wait(on: queue, timeout: timeout, interrupt: interrupt) { rang throws(DQError) -> WaitStep<[T]> in
            if try holders.sweep(store: self) > 0 { doorbells.ring(queue) }
            // Rung, and nobody else waits on this queue: almost surely a message for us,
            // and no other woken reader to collide with on the write lock; skip the look.
            // This is also what makes a put's ring before its commit safe: the take is a
            // write transaction, so it sees that commit.
            let seen = rang && doorbells.soleWaiter(on: queue) ? .deliverable : try look(at: queue)
            var nextDue: Int64?
            switch seen {
            case .deliverable:
                let attempt = try take()
                if !attempt.taken.isEmpty { return .done(attempt.taken) }
                nextDue = attempt.nextDue
            case .nothingUntil(let due):
                nextDue = due
            }
            if !reclaimAsked {
                // Nothing to take: a backlog may just have drained.
                checkpointer.scheduleReclaim()
                reclaimAsked = true
            }
            return .notYet(until: nextDue)
        } ?? []
    }

    /// A read-only look: could a message be received now, and if not, when might one
    /// fall due? One read transaction.
    private func look(at queue: String) throws(DQError) -> MessageTable.Look {
        let now = Timestamp.now()
        return try read { try MessageTable.look($0, queue: queue, now: now) }
    }

    func ack(_ receipt: Receipt, on queue: String) throws(DQError) -> Bool {
        let found = try write(.takes) { try MessageTable.ack($0, queue: queue, receipt: receipt, drained: drainedLanes) }
        if found { traffic.removed(1, from: queue) }
        return found
    }

    func nack(_ receipt: Receipt, on queue: String, delay: Duration, maxAttempts: Int) throws(DQError) -> Bool {
        let found = try write { connection in
            let now = Timestamp.now()
            let until = delay > .zero ? now &+ Timestamp.microseconds(delay) : nil
            return try MessageTable.nack(connection, queue: queue, receipt: receipt, until: until, now: now,
                                         maxAttempts: maxAttempts, drained: drainedLanes)
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

    func deadLetters(of queue: String, limit: Int) throws(DQError) -> [Message] {
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

    func traffic(ofQueue queue: String) -> QueueTraffic {
        traffic.reading(queue)
    }
}
