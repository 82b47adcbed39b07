import FoundationEssentials

/// The shared-state part of the store contract on SQLite: dicts in `dict_items`, lists
/// in `list_items`, counters in `counters`, events in `events`. Every write rings the
/// doorbell of what it changed (`channel(for:)`) after its commit.
extension SQLiteEngine {
    /// The doorbell channel of what a shared-state wait watches (see `channel(_:_:_:)`).
    static func channel(for subject: WaitSubject) -> String { subject.channel }

    func wait<T>(for subject: WaitSubject, timeout: Duration?, interrupt: WaitInterrupt?,
                 look: () throws(DQError) -> T?) throws(DQError) -> T? {
        try wait(on: Self.channel(for: subject), timeout: timeout, interrupt: interrupt, look: look)
    }

    func wait<T>(for subject: WaitSubject, timeout: Duration?, look: () throws(DQError) -> T?) async throws(DQError) -> T? {
        try await wait(on: Self.channel(for: subject), timeout: timeout, look: look)
    }

    // MARK: Dicts

    func entry(_ key: String, in dict: String) throws(DQError) -> DictEntry? {
        try read { try Self.entry($0, dict: dict, key: key) }
    }

    func entries(of dict: String) throws(DQError) -> [(key: String, value: Data)] {
        try read { connection in
            let list = try connection.cachedStatement(SQL.dictEntries)
            defer { list.reset() }
            try list.bind(dict, at: 1)
            var items: [(key: String, value: Data)] = []
            while try list.step() { items.append((list.string(at: 0) ?? "", list.data(at: 1))) }
            return items
        }
    }

    func setEntry(_ key: String, in dict: String, to value: Data) throws(DQError) {
        try write { try Self.write($0, dict: dict, key: key, value: value) }
        doorbells.ring(Self.channel(for: .dictKey(dict: dict, key: key)))
    }

    func updateEntry(_ key: String, in dict: String, _ transform: (Data?) throws -> Data??) throws -> Bool {
        var transformError: (any Error)?
        do {
            let wrote = try write { connection -> Bool in
                let new: Data??
                do { new = try transform(try Self.entry(connection, dict: dict, key: key)?.value) } catch {
                    transformError = error
                    throw error
                }
                guard let new else { return false }
                if let value = new {
                    try Self.write(connection, dict: dict, key: key, value: value)
                    return true
                }
                let delete = try connection.cachedStatement(SQL.dictDelete)
                defer { delete.reset() }
                try delete.bind(dict, at: 1)
                try delete.bind(key, at: 2)
                try delete.run()
                return connection.changes == 1
            }
            if wrote { doorbells.ring(Self.channel(for: .dictKey(dict: dict, key: key))) }
            return wrote
        } catch {
            throw transformError ?? error
        }
    }

    private static func entry(_ connection: Connection, dict: String, key: String) throws -> DictEntry? {
        let read = try connection.cachedStatement(SQL.dictRead)
        defer { read.reset() }
        try read.bind(dict, at: 1)
        try read.bind(key, at: 2)
        return try read.step() ? DictEntry(value: read.data(at: 0), version: read.int64(at: 1)) : nil
    }

    private static func write(_ connection: Connection, dict: String, key: String, value: Data) throws {
        let write = try connection.cachedStatement(SQL.dictWrite)
        defer { write.reset() }
        try write.bind(dict, at: 1)
        try write.bind(key, at: 2)
        try write.bind(value, at: 3)
        try write.run()
    }

    // MARK: Lists

    func append(_ values: [Data], to list: String) throws(DQError) -> Int {
        let count = try write { connection -> Int in
            let last = try connection.cachedStatement(SQL.listLast)
            try last.bind(list, at: 1)
            var position = try last.step() && !last.isNull(at: 0) ? last.int64(at: 0) : 0
            last.reset()
            let insert = try connection.cachedStatement(SQL.listInsert)
            defer { insert.reset() }
            for value in values {
                position += 1
                insert.reset()
                try insert.bind(list, at: 1)
                try insert.bind(position, at: 2)
                try insert.bind(value, at: 3)
                try insert.run()
            }
            return try Self.length(connection, list: list)
        }
        doorbells.ring(Self.channel("list", list))
        return count
    }

    func values(of list: String) throws(DQError) -> [Data] {
        try read { connection in
            let items = try connection.cachedStatement(SQL.listValues)
            defer { items.reset() }
            try items.bind(list, at: 1)
            var values: [Data] = []
            while try items.step() { values.append(items.data(at: 0)) }
            return values
        }
    }

    func length(of list: String) throws(DQError) -> Int {
        try read { try Self.length($0, list: list) }
    }

    func popLast(of list: String) throws(DQError) -> Data? {
        let value = try write { connection -> Data? in
            let last = try connection.cachedStatement(SQL.listPop)
            try last.bind(list, at: 1)
            guard try last.step() else { last.reset(); return nil }
            let position = last.int64(at: 0)
            let value = last.data(at: 1)
            last.reset()
            let delete = try connection.cachedStatement(SQL.listDelete)
            defer { delete.reset() }
            try delete.bind(list, at: 1)
            try delete.bind(position, at: 2)
            try delete.run()
            return value
        }
        if value != nil { doorbells.ring(Self.channel("list", list)) }
        return value
    }

    private static func length(_ connection: Connection, list: String) throws -> Int {
        let count = try connection.cachedStatement(SQL.listLength)
        defer { count.reset() }
        try count.bind(list, at: 1)
        return try count.step() ? count.int(at: 0) : 0
    }

    // MARK: Counters

    func add(_ amount: Int64, to counter: String) throws(DQError) -> Int64 {
        let value = try write { connection -> Int64 in
            let current = try Self.value(connection, counter: counter)
            let (sum, overflow) = current.addingReportingOverflow(amount)
            if overflow { throw DQError(.invalidArgument, "counter \(counter) would overflow (\(current) + \(amount))") }
            try Self.set(connection, counter: counter, to: sum)
            return sum
        }
        doorbells.ring(Self.channel(for: .counter(counter)))
        return value
    }

    func value(of counter: String) throws(DQError) -> Int64 {
        try read { try Self.value($0, counter: counter) }
    }

    func set(_ counter: String, to value: Int64) throws(DQError) {
        try write { try Self.set($0, counter: counter, to: value) }
        doorbells.ring(Self.channel(for: .counter(counter)))
    }

    private static func value(_ connection: Connection, counter: String) throws -> Int64 {
        let read = try connection.cachedStatement(SQL.counterRead)
        defer { read.reset() }
        try read.bind(counter, at: 1)
        return try read.step() ? read.int64(at: 0) : 0
    }

    private static func set(_ connection: Connection, counter: String, to value: Int64) throws {
        let write = try connection.cachedStatement(SQL.counterWrite)
        defer { write.reset() }
        try write.bind(counter, at: 1)
        try write.bind(value, at: 2)
        try write.run()
    }

    // MARK: Events

    func setEvent(_ event: String, _ isSet: Bool) throws(DQError) {
        try write { connection in
            let write = try connection.cachedStatement(SQL.eventWrite)
            defer { write.reset() }
            try write.bind(event, at: 1)
            try write.bind(isSet ? 1 : 0, at: 2)
            try write.run()
        }
        // Only a set can end a wait.
        if isSet { doorbells.ring(Self.channel(for: .event(event))) }
    }

    func isSet(_ event: String) throws(DQError) -> Bool {
        try read { connection in
            let read = try connection.cachedStatement(SQL.eventRead)
            defer { read.reset() }
            try read.bind(event, at: 1)
            return try read.step() && read.int64(at: 0) != 0
        }
    }

    // MARK: Dropping

    func drop(dict: String) throws(DQError) -> Int {
        let keys = try write { connection -> [String] in
            let delete = try connection.cachedStatement(SQL.dropDict)
            defer { delete.reset() }
            try delete.bind(dict, at: 1)
            var keys: [String] = []
            while try delete.step() { keys.append(delete.string(at: 0) ?? "") }
            return keys
        }
        for key in keys { doorbells.ring(Self.channel(for: .dictKey(dict: dict, key: key))) }
        return keys.count
    }

    func drop(list: String) throws(DQError) -> Int {
        let count = try write { try Self.delete($0, SQL.dropList, list) }
        if count > 0 { doorbells.ring(Self.channel("list", list)) }
        return count
    }

    func drop(counter: String) throws(DQError) -> Bool {
        let count = try write { try Self.delete($0, SQL.dropCounter, counter) }
        if count > 0 { doorbells.ring(Self.channel(for: .counter(counter))) }
        return count > 0
    }

    func drop(event: String) throws(DQError) -> Bool {
        let count = try write { try Self.delete($0, SQL.dropEvent, event) }
        if count > 0 { doorbells.ring(Self.channel(for: .event(event))) }
        return count > 0
    }

    /// Runs `sql`, a DELETE with `name` as its one parameter; returns how many rows it deleted.
    private static func delete(_ connection: Connection, _ sql: PreparedSQL, _ name: String) throws -> Int {
        let delete = try connection.cachedStatement(sql)
        defer { delete.reset() }
        try delete.bind(name, at: 1)
        try delete.run()
        return connection.changes
    }
}

/// The SQL statements of this file, each prepared once per connection (`PreparedSQL`).
private enum SQL {
    static let dictEntries = PreparedSQL("SELECT key, value FROM dict_items WHERE dict = ?1 ORDER BY key")
    static let dictDelete = PreparedSQL("DELETE FROM dict_items WHERE dict = ?1 AND key = ?2")
    static let dictRead = PreparedSQL("SELECT value, version FROM dict_items WHERE dict = ?1 AND key = ?2")
    static let listLast = PreparedSQL("SELECT max(position) FROM list_items WHERE list = ?1")
    static let listInsert = PreparedSQL("INSERT INTO list_items (list, position, value) VALUES (?1, ?2, ?3)")
    static let listValues = PreparedSQL("SELECT value FROM list_items WHERE list = ?1 ORDER BY position")
    static let listDelete = PreparedSQL("DELETE FROM list_items WHERE list = ?1 AND position = ?2")
    static let listLength = PreparedSQL("SELECT count(*) FROM list_items WHERE list = ?1")
    static let counterRead = PreparedSQL("SELECT value FROM counters WHERE name = ?1")
    static let eventRead = PreparedSQL("SELECT is_set FROM events WHERE name = ?1")
    static let dropDict = PreparedSQL("DELETE FROM dict_items WHERE dict = ?1 RETURNING key")
    static let dropList = PreparedSQL("DELETE FROM list_items WHERE list = ?1")
    static let dropCounter = PreparedSQL("DELETE FROM counters WHERE name = ?1")
    static let dropEvent = PreparedSQL("DELETE FROM events WHERE name = ?1")
    static let dictWrite = PreparedSQL("""
        INSERT INTO dict_items (dict, key, version, value) VALUES (?1, ?2, 1, ?3)
        ON CONFLICT (dict, key) DO UPDATE SET value = excluded.value, version = version + 1
        """)
    static let listPop = PreparedSQL("""
        SELECT position, value FROM list_items WHERE list = ?1 ORDER BY position DESC LIMIT 1
        """)
    static let counterWrite = PreparedSQL("""
        INSERT INTO counters (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value
        """)
    static let eventWrite = PreparedSQL("""
        INSERT INTO events (name, is_set) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET is_set = excluded.is_set
        """)
}
