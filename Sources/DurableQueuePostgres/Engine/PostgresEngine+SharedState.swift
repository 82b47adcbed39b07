import DurableQueue
import FoundationEssentials
import NIOCore
import PostgresNIO

/// The shared-state part of the store contract on PostgreSQL: dicts in
/// `dq.dict_entries`, lists in `dq.list_values`, counters in `dq.counters`, events in
/// `dq.events`. Every write notifies the channel of what it changed in its own
/// transaction.
extension PostgresEngine {
    func wait<T>(for subject: WaitSubject, timeout: Duration?, interrupt: WaitInterrupt?,
                 look: () throws(DQError) -> T?) throws(DQError) -> T? {
        try wait(on: subject.channel, timeout: timeout, interrupt: interrupt) { _ throws(DQError) in
            try look().map { .done($0) } ?? .notYet(until: nil)
        }
    }

    func wait<T>(for subject: WaitSubject, timeout: Duration?, look: () throws(DQError) -> T?) async throws(DQError) -> T? {
        try await wait(on: subject.channel, timeout: timeout) { _ throws(DQError) in
            try look().map { .done($0) } ?? .notYet(until: nil)
        }
    }

    // MARK: Dicts

    func entry(_ key: String, in dict: String) throws(DQError) -> DictEntry? {
        let rows = try rows("SELECT value, version FROM dq.dict_entries WHERE dict = \(dict) AND key = \(key)")
        return try rows.first.map { row throws(DQError) in
            let (value, version) = try Self.decode(row, as: (Data, Int64).self)
            return DictEntry(value: value, version: version)
        }
    }

    func entries(of dict: String) throws(DQError) -> [(key: String, value: Data)] {
        let rows = try rows("SELECT key, value FROM dq.dict_entries WHERE dict = \(dict) ORDER BY key COLLATE \"C\"")
        return try rows.map { row throws(DQError) in
            let (key, value) = try Self.decode(row, as: (String, Data).self)
            return (key, value)
        }
    }

    func setEntry(_ key: String, in dict: String, to value: Data) throws(DQError) {
        let channel = WaitSubject.dictKey(dict: dict, key: key).channel
        // After the key's lock, as `updateEntry` takes it: no set lands between its read and write.
        try run("""
            WITH l AS (SELECT pg_advisory_xact_lock(\(PostgresSchema.LockSpace.dictKeys), hashtext(\(dict) || '/' || \(key)))),
            w AS (
                INSERT INTO dq.dict_entries AS e (dict, key, value, version)
                SELECT \(dict), \(key), \(ByteBuffer(bytes: value)), nextval('dq.versions') FROM l
                ON CONFLICT (dict, key) DO UPDATE SET value = excluded.value, version = excluded.version RETURNING 1)
            SELECT pg_notify(dq.channel(\(channel)), '') FROM w
            """)
    }

    func updateEntry(_ key: String, in dict: String, _ transform: (Data?) throws -> Data??) throws -> Bool {
        let channel = WaitSubject.dictKey(dict: dict, key: key).channel
        var transformError: (any Error)?
        do {
            return try session(retrying: false) { session throws(PostgresFailure) -> Bool in
                try session.run("BEGIN")
                do throws(PostgresFailure) {
                    // Writers of one key take turns, whether or not it exists yet.
                    try session.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.LockSpace.dictKeys), hashtext(\(dict) || '/' || \(key)))")
                    let current = try session.rows("SELECT value FROM dq.dict_entries WHERE dict = \(dict) AND key = \(key) FOR UPDATE")
                        .first.flatMap { try? Self.decode($0, as: Data.self) }
                    let new: Data??
                    do {
                        new = try transform(current)
                    } catch {
                        transformError = error
                        throw PostgresFailure(.error(DQError(.internalError, "the update was abandoned")))
                    }
                    var wrote = false
                    if let new {
                        if let value = new {
                            try session.run("""
                                INSERT INTO dq.dict_entries AS e (dict, key, value, version)
                                VALUES (\(dict), \(key), \(ByteBuffer(bytes: value)), nextval('dq.versions'))
                                ON CONFLICT (dict, key) DO UPDATE SET value = excluded.value, version = excluded.version
                                """)
                            wrote = true
                        } else {
                            wrote = try session.run("DELETE FROM dq.dict_entries WHERE dict = \(dict) AND key = \(key)") == 1
                        }
                        if wrote { try session.run("SELECT pg_notify(dq.channel(\(channel)), '')") }
                    }
                    try session.run("COMMIT")
                    return wrote
                } catch {
                    _ = try? session.run("ROLLBACK")
                    throw error
                }
            }
        } catch {
            throw transformError ?? error
        }
    }

    func drop(dict: String) throws(DQError) -> Int {
        // Each key's waiters are woken: their channel is made from the key.
        try run("""
            WITH d AS (DELETE FROM dq.dict_entries WHERE dict = \(dict) RETURNING key)
            SELECT pg_notify(dq.channel(chr(1) || 'dict' || chr(1) || \(dict) || chr(1) || d.key), '') FROM d
            """)
    }

    // MARK: Lists

    func append(_ values: [Data], to list: String) throws(DQError) -> Int {
        let buffers = values.map { ByteBuffer(bytes: $0) }
        return try scalar("SELECT dq.append(\(list), \(buffers))", as: Int.self, retrying: false) ?? 0
    }

    func values(of list: String) throws(DQError) -> [Data] {
        let rows = try rows("SELECT value FROM dq.list_values WHERE list = \(list) ORDER BY position")
        return try rows.map { row throws(DQError) in try Self.decode(row, as: Data.self) }
    }

    func length(of list: String) throws(DQError) -> Int {
        try scalar("SELECT count(*) FROM dq.list_values WHERE list = \(list)", as: Int.self) ?? 0
    }

    func popLast(of list: String) throws(DQError) -> Data? {
        try scalar("""
            DELETE FROM dq.list_values WHERE (list, position) = (
                SELECT list, position FROM dq.list_values WHERE list = \(list) ORDER BY position DESC LIMIT 1 FOR UPDATE)
            RETURNING value
            """, as: Data.self, retrying: false)
    }

    func drop(list: String) throws(DQError) -> Int {
        try run("DELETE FROM dq.list_values WHERE list = \(list)")
    }

    // MARK: Counters

    func add(_ amount: Int64, to counter: String) throws(DQError) -> Int64 {
        let channel = WaitSubject.counter(counter).channel
        let rows: [PostgresRow]
        do {
            rows = try self.rows("""
                WITH c AS (
                    INSERT INTO dq.counters AS c (name, value) VALUES (\(counter), \(amount))
                    ON CONFLICT (name) DO UPDATE SET value = c.value + excluded.value RETURNING value)
                SELECT c.value, pg_notify(dq.channel(\(channel)), '')::text FROM c
                """, retrying: false)
        } catch where error.message.contains("out of range") {
            throw DQError(.invalidArgument, "counter \(counter) would overflow")
        }
        guard let row = rows.first else { throw DQError(.internalError, "counter \(counter): no value back") }
        return try Self.decode(row, as: (Int64, String).self).0
    }

    func value(of counter: String) throws(DQError) -> Int64 {
        try scalar("SELECT value FROM dq.counters WHERE name = \(counter)", as: Int64.self) ?? 0
    }

    func set(_ counter: String, to value: Int64) throws(DQError) {
        let channel = WaitSubject.counter(counter).channel
        try run("""
            WITH c AS (
                INSERT INTO dq.counters (name, value) VALUES (\(counter), \(value))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value RETURNING 1)
            SELECT pg_notify(dq.channel(\(channel)), '') FROM c
            """)
    }

    func drop(counter: String) throws(DQError) -> Bool {
        let channel = WaitSubject.counter(counter).channel
        return try run("""
            WITH d AS (DELETE FROM dq.counters WHERE name = \(counter) RETURNING 1)
            SELECT pg_notify(dq.channel(\(channel)), '') FROM d
            """) == 1
    }

    // MARK: Events

    func setEvent(_ event: String, _ isSet: Bool) throws(DQError) {
        let channel = WaitSubject.event(event).channel
        try run("""
            WITH e AS (
                INSERT INTO dq.events (name, is_set) VALUES (\(event), \(isSet))
                ON CONFLICT (name) DO UPDATE SET is_set = excluded.is_set RETURNING is_set)
            SELECT pg_notify(dq.channel(\(channel)), '') FROM e WHERE e.is_set
            """)
    }

    func isSet(_ event: String) throws(DQError) -> Bool {
        try flag("SELECT is_set FROM dq.events WHERE name = \(event)")
    }

    func drop(event: String) throws(DQError) -> Bool {
        let channel = WaitSubject.event(event).channel
        return try run("""
            WITH d AS (DELETE FROM dq.events WHERE name = \(event) RETURNING 1)
            SELECT pg_notify(dq.channel(\(channel)), '') FROM d
            """) == 1
    }
}
