import NIOCore
import PostgresNIO

/// The floor on PostgreSQL: the least SQL a durable queue can send, through the same
/// client as dq. One table (`id` from an identity column, `body`), one statement per
/// operation, each its own transaction (autocommit): `INSERT` of one row, `INSERT …
/// SELECT FROM unnest($1)` of a batch, and the claim `DELETE … WHERE id = (SELECT id …
/// ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING body`.
final class RawPostgresQueue: FloorQueue {
    let connection: RawPostgresConnection
    private let table: String

    /// Connects to the database at `address` and creates `table` there if needed.
    ///
    /// - Throws: `BenchError` when the server cannot be reached or refuses.
    convenience init(address: String, sync: String, table: String = "q") throws {
        try self.init(connection: RawPostgresConnection(address: address, sync: sync), table: table)
    }

    /// `table` reached through `connection`, created if needed. Processes starting
    /// together take turns (`CREATE TABLE IF NOT EXISTS` at once can fail in all but one).
    init(connection: RawPostgresConnection, table: String) throws {
        self.connection = connection
        self.table = table
        try connection.run("BEGIN")
        try connection.run("SELECT pg_advisory_xact_lock(25799, hashtext(\(table)))")
        try connection.run("""
            CREATE TABLE IF NOT EXISTS \(unescaped: table) (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body bytea NOT NULL)
            """)
        try connection.run("COMMIT")
    }

    /// Inserts `bodies` in one transaction.
    func put(_ bodies: [[UInt8]]) throws {
        if bodies.count == 1 {
            try connection.run("INSERT INTO \(unescaped: table) (body) VALUES (\(ByteBuffer(bytes: bodies[0])))")
        } else {
            let buffers = bodies.map { ByteBuffer(bytes: $0) }
            try connection.run("INSERT INTO \(unescaped: table) (body) SELECT unnest(\(buffers)::bytea[])")
        }
    }

    /// Inserts `body` and notifies `channel`, in one statement (one transaction): the
    /// listener is woken at commit.
    func put(_ body: [UInt8], notifying channel: String) throws {
        try connection.run("""
            WITH i AS (INSERT INTO \(unescaped: table) (body) VALUES (\(ByteBuffer(bytes: body))) RETURNING id)
            SELECT pg_notify(\(channel), '') FROM i
            """)
    }

    /// Deletes and returns the oldest row's body in one transaction; nil if empty.
    func get() throws -> [UInt8]? {
        let rows = try connection.rows("""
            DELETE FROM \(unescaped: table) WHERE id = (SELECT id FROM \(unescaped: table) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING body
            """)
        guard let row = rows.first else { return nil }
        do {
            return Array(try row.decode(ByteBuffer.self).readableBytesView)
        } catch {
            throw BenchError(description: "floor: unexpected row: \(error)")
        }
    }
}
