import DQSystem
import DurableQueue
import FoundationEssentials
import PostgresNIO

/// The whole-store part of the store contract on PostgreSQL: statistics, the
/// consistency check, space and change watches.
extension PostgresEngine {
    func stats() throws(DQError) -> StoreStats {
        let queueRows = try rows("""
            SELECT coalesce(m.queue, d.queue), coalesce(m.ready, 0), coalesce(m.delayed, 0), coalesce(m.leased, 0),
                   coalesce(d.dead, 0), m.oldest
            FROM (
                SELECT queue, count(*) FILTER (WHERE visible_at <= now()) AS ready,
                       count(*) FILTER (WHERE visible_at > now() AND lease_token IS NULL) AS delayed,
                       count(*) FILTER (WHERE visible_at > now() AND lease_token IS NOT NULL) AS leased,
                       (extract(epoch FROM now() - min(enqueued_at) FILTER (WHERE visible_at <= now())) * 1000000)::bigint AS oldest
                FROM dq.messages GROUP BY queue) m
            FULL JOIN (SELECT queue, count(*) AS dead FROM dq.dead GROUP BY queue) d ON d.queue = m.queue
            ORDER BY coalesce(m.queue, d.queue) COLLATE "C"
            """)
        let queues = try queueRows.map { row throws(DQError) in
            let (name, ready, delayed, leased, dead, oldest) = try Self.decode(row, as: (String, Int, Int, Int, Int, Int64?).self)
            return QueueStats(name: name, ready: ready, delayed: delayed, leased: leased, dead: dead,
                              oldestReadyAge: oldest.map { .microseconds(max(0, $0)) })
        }
        var dicts: [String: Int] = [:]
        for row in try rows("SELECT dict, count(*) FROM dq.dict_entries GROUP BY dict") {
            let (name, count) = try Self.decode(row, as: (String, Int).self)
            dicts[name] = count
        }
        var lists: [String: Int] = [:]
        for row in try rows("SELECT list, count(*) FROM dq.list_values GROUP BY list") {
            let (name, count) = try Self.decode(row, as: (String, Int).self)
            lists[name] = count
        }
        var counters: [String: Int64] = [:]
        for row in try rows("SELECT name, value FROM dq.counters") {
            let (name, value) = try Self.decode(row, as: (String, Int64).self)
            counters[name] = value
        }
        var events: [String: Bool] = [:]
        for row in try rows("SELECT name, is_set FROM dq.events") {
            let (name, isSet) = try Self.decode(row, as: (String, Bool).self)
            events[name] = isSet
        }
        let size = try scalar("""
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dq' AND c.relkind IN ('r', 'S')
            """, as: Int64.self) ?? 0
        return StoreStats(queues: queues, dicts: dicts, lists: lists, counters: counters, events: events,
                          databaseBytes: size, walBytes: 0, sharedMemoryBytes: 0)
    }

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
