import DQSystem
import DurableQueue
import FoundationEssentials
import PostgresNIO

/// The whole-store part of the store contract on PostgreSQL: statistics, the
/// consistency check, space and change watches.
extension PostgresEngine {
    /// Every count from one snapshot (a repeatable-read transaction), as SQLite's come
    /// from one read transaction: queues, then shared state in one statement, then sizes.
    func stats() throws(DQError) -> StoreStats {
        let (queueRows, stateRows, size) = try session { session throws(PostgresFailure) in
            try session.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? session.run("COMMIT") }
            // Counts of whole tables: a sequential scan is the plan for them (dq's sessions
            // start without: PostgresEngine.sessionSettings).
            try session.run("SET LOCAL enable_seqscan = on")
            return (try session.rows(Self.queueCounts), try session.rows(Self.sharedStateCounts), try session.rows(Self.tableSizes))
        }
        let queues = try queueRows.map { row throws(DQError) in try Self.queueStats(row) }
        var dicts: [String: Int] = [:], lists: [String: Int] = [:], counters: [String: Int64] = [:], events: [String: Bool] = [:]
        for row in stateRows {
            let (kind, name, value) = try Self.decode(row, as: (String, String, Int64).self)
            switch kind {
            case "dict": dicts[name] = Int(value)
            case "list": lists[name] = Int(value)
            case "counter": counters[name] = value
            default: events[name] = value != 0
            }
        }
        var bytes: Int64 = 0
        if let row = size.first { bytes = try Self.decode(row, as: Int64.self) }
        return StoreStats(queues: queues, dicts: dicts, lists: lists, counters: counters, events: events,
                          databaseBytes: bytes, walBytes: 0, sharedMemoryBytes: 0)
    }

    func stats(ofQueues queues: [String]) throws(DQError) -> [QueueStats] {
        var names = PostgresBindings()
        names.append(Array(Set(queues)))
        let query = PostgresQuery(unsafeSQL: Self.queueCountsSQL(where: "WHERE queue = ANY($1)"), binds: names)
        return try rows(query).map { row throws(DQError) in try Self.queueStats(row) }
    }

    /// A row of `queueCounts` (or `stats(ofQueues:)`'s query) as a queue's counts.
    private static func queueStats(_ row: PostgresRow) throws(DQError) -> QueueStats {
        let (name, ready, delayed, leased, dead, oldest) = try decode(row, as: (String, Int, Int, Int, Int, Int64?).self)
        return QueueStats(name: name, ready: ready, delayed: delayed, leased: leased, dead: dead,
                          oldestReadyAge: oldest.map { .microseconds(max(0, $0)) })
    }

    /// Per queue holding messages or dead letters: ready, delayed, leased, dead, and the
    /// oldest ready message's age in µs.
    private static let queueCounts = PostgresQuery(unsafeSQL: queueCountsSQL(where: ""))

    /// `queueCounts` of the queues that `filter` (a WHERE clause on `queue`) keeps.
    private static func queueCountsSQL(where filter: String) -> String {
        """
        SELECT coalesce(m.queue, d.queue), coalesce(m.ready, 0), coalesce(m.delayed, 0), coalesce(m.leased, 0),
               coalesce(d.dead, 0), m.oldest
        FROM (
            SELECT queue, count(*) FILTER (WHERE visible_at <= now()) AS ready,
                   count(*) FILTER (WHERE visible_at > now() AND lease_token IS NULL) AS delayed,
                   count(*) FILTER (WHERE visible_at > now() AND lease_token IS NOT NULL) AS leased,
                   (extract(epoch FROM now() - min(enqueued_at) FILTER (WHERE visible_at <= now())) * 1000000)::bigint AS oldest
            FROM dq.messages \(filter) GROUP BY queue) m
        FULL JOIN (SELECT queue, count(*) AS dead FROM dq.dead \(filter) GROUP BY queue) d ON d.queue = m.queue
        ORDER BY coalesce(m.queue, d.queue) COLLATE "C"
        """
    }

    /// Each dict's and list's size, each counter's value and each event's state (1 set).
    private static let sharedStateCounts: PostgresQuery = """
        SELECT 'dict', dict, count(*) FROM dq.dict_entries GROUP BY dict
        UNION ALL SELECT 'list', list, count(*) FROM dq.list_values GROUP BY list
        UNION ALL SELECT 'counter', name, value FROM dq.counters
        UNION ALL SELECT 'event', name, is_set::integer::bigint FROM dq.events
        """

    /// The bytes of dq's tables and sequences, indexes included.
    private static let tableSizes: PostgresQuery = """
        SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dq' AND c.relkind IN ('r', 'S')
        """

    /// Checks what the schema's constraints cannot: no id both queued and dead, no lease
    /// token without a lease, every holder row's lease still known.
    func integrityCheck() throws(DQError) -> String {
        var findings: [String] = []
        let both = try scalar("SELECT count(*) FROM dq.messages m JOIN dq.dead d ON d.id = m.id", as: Int.self) ?? 0
        if both > 0 { findings.append("\(both) message ids are both queued and dead") }
        let orphans = try scalar("SELECT count(*) FROM dq.messages WHERE lease_token IS NULL AND holder IS NOT NULL", as: Int.self) ?? 0
        if orphans > 0 { findings.append("\(orphans) messages name a lease holder without a lease") }
        return findings.isEmpty ? "ok" : findings.joined(separator: "\n")
    }

    /// The server's autovacuum returns dead rows' space for reuse; nothing to do here.
    func reclaimSpace(budget: Int64?) throws(DQError) -> Int64 { 0 }

    /// Changes on the server are not announced on one channel: a watch wakes every
    /// second (or when interrupted) and reports a possible change.
    func watchChanges() throws(DQError) -> any ChangeWatch {
        PeriodicChangeWatch()
    }
}

/// A `ChangeWatch` that reports a possible change once a second.
struct PeriodicChangeWatch: ChangeWatch {
    func wait(timeout: Duration, interrupt: WaitInterrupt?) -> Bool {
        let pause = min(timeout, .seconds(1))
        let milliseconds = Int32(clamping: Timestamp.microseconds(pause) / 1_000)
        if let fd = interrupt?.fileDescriptor {
            if Poll.readable([DQSystem.FileDescriptor(rawValue: fd)], milliseconds: milliseconds)[0] { return false }
        } else {
            CurrentProcess.sleep(microseconds: UInt32(clamping: Int64(milliseconds) * 1_000))
        }
        return pause == .seconds(1) || pause == timeout
    }
}
