import Synchronization

/// A lane: the messages of one queue at one priority, in their own rowid table
/// (`lane_<id>`), so that a put appends one row to one b-tree, as cheaply as SQLite
/// can insert anything. The `lanes` table lists them; they are never dropped.
struct Lane: Hashable, Sendable {
    let id: Int64
    let priority: Int

    var table: String { LaneTable.name(id) }
}

/// Finding and making lanes.
enum Lanes {
    /// The lanes of `queue`, highest priority first.
    ///
    /// Every receive asks, so the answer is kept per connection while the schema
    /// cookie stays the same: reading the cookie touches only the header page, which
    /// SQLite reads at the start of every transaction anyway.
    static func all(_ connection: Connection, queue: String) throws -> [Lane] {
        let cookie = try connection.scalarInt("PRAGMA schema_version") ?? 0
        if let known = connection.knownLanes[queue], known.schemaCookie == cookie { return known.lanes }
        let lanes = try read(connection, queue: queue)
        connection.knownLanes[queue] = (cookie, lanes)
        return lanes
    }

    private static func read(_ connection: Connection, queue: String) throws -> [Lane] {
        let list = try connection.cachedStatement("SELECT id, priority FROM lanes WHERE queue = ?1 ORDER BY priority DESC")
        defer { list.reset() }
        try list.bind(queue, at: 1)
        var lanes: [Lane] = []
        while try list.step() { lanes.append(Lane(id: list.int64(at: 0), priority: list.int(at: 1))) }
        return lanes
    }

    /// Every lane of every queue, by queue name.
    static func everyQueue(_ connection: Connection) throws -> [(queue: String, lane: Lane)] {
        let list = try connection.cachedStatement("SELECT queue, id, priority FROM lanes ORDER BY queue, priority DESC")
        defer { list.reset() }
        var lanes: [(String, Lane)] = []
        while try list.step() {
            lanes.append((list.string(at: 0) ?? "", Lane(id: list.int64(at: 1), priority: list.int(at: 2))))
        }
        return lanes
    }

    /// The lane of `queue` at `priority`, if it exists.
    static func find(_ connection: Connection, queue: String, priority: Int) throws -> Lane? {
        let find = try connection.cachedStatement("SELECT id FROM lanes WHERE queue = ?1 AND priority = ?2")
        defer { find.reset() }
        try find.bind(queue, at: 1)
        try find.bind(priority, at: 2)
        return try find.step() ? Lane(id: find.int64(at: 0), priority: priority) : nil
    }

    /// Registers and creates the lane of `queue` at `priority`. Runs inside the
    /// caller's write transaction, so a rollback undoes it.
    static func create(_ connection: Connection, queue: String, priority: Int) throws -> Lane {
        let insert = try connection.cachedStatement("INSERT INTO lanes (queue, priority) VALUES (?1, ?2)")
        defer { insert.reset() }
        try insert.bind(queue, at: 1)
        try insert.bind(priority, at: 2)
        try insert.run()
        let lane = Lane(id: connection.lastInsertRowID, priority: priority)
        try connection.execute(LaneTable.createSQL(lane.id))
        return lane
    }
}

/// Lanes this process has seen committed, so a put need not look its lane up.
/// Only lanes found in the store are remembered (never one made by a transaction that
/// might still roll back), and lanes are never dropped, so an entry never goes stale.
final class LaneDirectory: Sendable {
    private struct Key: Hashable {
        let queue: String
        let priority: Int
    }

    private let known = Mutex<[Key: Int64]>([:])
    /// The same lanes by id, with their queue.
    private let byID = Mutex<[Int64: Key]>([:])

    func lane(queue: String, priority: Int) -> Lane? {
        known.withLock { $0[Key(queue: queue, priority: priority)] }.map { Lane(id: $0, priority: priority) }
    }

    /// Lane `id`, if this process has seen it and it belongs to `queue`.
    func lane(id: Int64, queue: String) -> Lane? {
        guard let key = byID.withLock({ $0[id] }), key.queue == queue else { return nil }
        return Lane(id: id, priority: key.priority)
    }

    func remember(queue: String, lane: Lane) {
        let key = Key(queue: queue, priority: lane.priority)
        known.withLock { $0[key] = lane.id }
        byID.withLock { $0[lane.id] = key }
    }
}
