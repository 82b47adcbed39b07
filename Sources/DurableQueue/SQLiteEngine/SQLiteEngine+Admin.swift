/// The queue-administration part of the store contract on SQLite: each operation is one
/// transaction of `MessageTable` SQL, followed by the doorbell rings and traffic counts
/// it calls for.
extension SQLiteEngine {
    func drop(_ queue: String) throws(DQError) -> Int {
        try write { try MessageTable.drop($0, queue: queue) }
    }

    func message(_ id: Int64, in queue: String) throws(DQError) -> StoredMessage? {
        let now = Timestamp.now()
        return try read { try MessageTable.stored($0, queue: queue, id: id, now: now) }
    }

    func messages(in queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int) throws(DQError) -> [StoredMessage] {
        let now = Timestamp.now()
        return try read { try MessageTable.stored($0, queue: queue, states: states, after: after, limit: limit, now: now) }
    }

    func follow(_ queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int, timeout: Duration?,
                interrupt: WaitInterrupt?) throws(DQError) -> [StoredMessage] {
        let look = following(queue, states: states, after: after, limit: limit)
        if timeout == .zero { return try look(false) }
        return try reactor().wait(on: queue, timeout: timeout, interrupt: interrupt) { rang throws(DQError) in
            let found = try look(rang)
            return found.isEmpty ? .notYet(until: nil) : .done(found)
        } ?? []
    }

    func follow(_ queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int,
                timeout: Duration?) async throws(DQError) -> [StoredMessage] {
        let look = following(queue, states: states, after: after, limit: limit)
        if timeout == .zero { return try look(false) }
        return try await reactor().wait(on: queue, timeout: timeout) { rang throws(DQError) in
            let found = try look(rang)
            return found.isEmpty ? .notYet(until: nil) : .done(found)
        } ?? []
    }

    /// A follower's look, told whether the queue's doorbell rang. After a ring it reads
    /// in a write transaction: a put may ring before its commit (docs/ARCHITECTURE.md,
    /// "The wake-up protocol"), and `BEGIN IMMEDIATE` only starts once that commit ends.
    private func following(_ queue: String, states: Set<StoredMessage.State>, after: Int64,
                           limit: Int) -> (Bool) throws(DQError) -> [StoredMessage] {
        { [self] rang throws(DQError) in
            let list = { (connection: Connection) in
                try MessageTable.stored(connection, queue: queue, states: states, after: after, limit: limit, now: Timestamp.now())
            }
            return rang ? try write(.takes, list) : try read(list)
        }
    }

    func delete(_ ids: [Int64], from queue: String) throws(DQError) -> [Int64] {
        var unique = Set<Int64>()
        let ids = ids.filter { unique.insert($0).inserted }
        let found = try write { try MessageTable.delete($0, queue: queue, ids: ids, drained: drainedLanes) }
        return ids.filter(found.contains)
    }

    func retryDead(_ ids: [Int64], of queue: String) throws(DQError) -> [Int64] {
        let found = try write { try MessageTable.retryDead($0, queue: queue, ids: ids) }
        if !found.isEmpty { doorbells.ring(queue) }
        return found
    }

    func move(from source: String, to destination: String, limit: Int?, dead: Bool) throws(DQError) -> MoveResult {
        let result = try write { connection in
            try MessageTable.move(connection, from: source, to: destination, limit: limit, dead: dead, now: Timestamp.now(),
                                  drained: drainedLanes)
        }
        if result.moved > 0 {
            doorbells.ring(destination)
            traffic.added(result.moved, to: destination)
        }
        if !dead { traffic.removed(result.moved + result.duplicates, from: source) }
        return result
    }
}
