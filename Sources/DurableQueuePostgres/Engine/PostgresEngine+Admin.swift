import DurableQueue
import FoundationEssentials
import PostgresNIO

/// The queue-administration part of the store contract on PostgreSQL.
extension PostgresEngine {
    /// `dq.drop_queue`, which knows every table that holds rows of a queue.
    func drop(_ queue: String) throws(DQError) -> Int {
        try scalar("SELECT dq.drop_queue(\(queue))", as: Int.self) ?? 0
    }

    func message(_ id: Int64, in queue: String) throws(DQError) -> StoredMessage? {
        try stored(queue, states: Set(StoredMessage.State.allCases), after: nil, only: id, limit: 1).first
    }

    func messages(in queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int) throws(DQError) -> [StoredMessage] {
        try stored(queue, states: states, after: after, only: nil, limit: limit)
    }

    /// The messages and dead letters of `queue` in `states`, with ids above `after` (or
    /// only the id `only`), in id order, each with its state as of the statement.
    private func stored(_ queue: String, states: Set<StoredMessage.State>, after: Int64?, only: Int64?,
                            limit: Int) throws(DQError) -> [StoredMessage] {
        let rows = try rows("""
            SELECT * FROM (
                SELECT id, priority, body, enqueued_at, attempts,
                       CASE WHEN visible_at <= now() THEN 'ready' WHEN lease_token IS NOT NULL THEN 'leased' ELSE 'delayed' END AS state,
                       visible_at AS at
                FROM dq.messages WHERE queue = \(queue) AND (\(only == nil) OR id = \(only ?? 0)) AND id > \(after ?? Int64.min)
                UNION ALL
                SELECT id, priority, body, enqueued_at, attempts, 'dead', died_at
                FROM dq.dead WHERE queue = \(queue) AND (\(only == nil) OR id = \(only ?? 0)) AND id > \(after ?? Int64.min)
            ) s WHERE s.state = ANY(\(states.map(\.rawValue))) ORDER BY id LIMIT \(limit)
            """)
        return try rows.map { row throws(DQError) in
            let (id, priority, body, enqueuedAt, attempts, stateName, at) = try Self.decode(
                row, as: (Int64, Int, Data, Date, Int, String, Date).self)
            let state = StoredMessage.State(rawValue: stateName) ?? .ready
            // A ready or delayed message's attempt is the delivery it will be next.
            let attempt = state == .ready || state == .delayed ? attempts + 1 : attempts
            let message = Message(id: id, queue: queue, body: body, priority: priority, enqueuedAt: enqueuedAt, attempt: attempt)
            return StoredMessage(message: message, state: state, at: state == .ready ? nil : at)
        }
    }

    func follow(_ queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int, timeout: Duration?,
                interrupt: WaitInterrupt?) throws(DQError) -> [StoredMessage] {
        try wait(on: queue, timeout: timeout, interrupt: interrupt) { _ throws(DQError) in
            let found = try messages(in: queue, states: states, after: after, limit: limit)
            return found.isEmpty ? .notYet(until: nil) : .done(found)
        } ?? []
    }

    func follow(_ queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int,
                timeout: Duration?) async throws(DQError) -> [StoredMessage] {
        try await wait(on: queue, timeout: timeout) { _ throws(DQError) in
            let found = try messages(in: queue, states: states, after: after, limit: limit)
            return found.isEmpty ? .notYet(until: nil) : .done(found)
        } ?? []
    }

    func delete(_ ids: [Int64], from queue: String) throws(DQError) -> [Int64] {
        let rows = try rows("""
            WITH m AS (DELETE FROM dq.messages WHERE queue = \(queue) AND id = ANY(\(ids)) RETURNING id),
                 d AS (DELETE FROM dq.dead WHERE queue = \(queue) AND id = ANY(\(ids)) RETURNING id)
            SELECT id FROM m UNION SELECT id FROM d
            """)
        var found = Set<Int64>()
        for row in rows { found.insert(try Self.decode(row, as: Int64.self)) }
        var seen = Set<Int64>()
        return ids.filter { found.contains($0) && seen.insert($0).inserted }
    }

    func move(from source: String, to destination: String, limit: Int?, dead: Bool) throws(DQError) -> MoveResult {
        let rows = try rows("""
            SELECT moved, duplicates FROM dq.move(\(source), \(destination), \(limit.map(Int64.init)), \(dead))
            """, retrying: false)
        guard let row = rows.first else { return MoveResult(moved: 0, duplicates: 0) }
        let (moved, duplicates) = try Self.decode(row, as: (Int, Int).self)
        return MoveResult(moved: moved, duplicates: duplicates)
    }
}
