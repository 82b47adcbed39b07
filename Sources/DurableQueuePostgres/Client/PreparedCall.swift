import PostgresNIO

/// One run of a statement that each connection prepares once (a named prepared
/// statement, parsed and planned once) and then runs by sending only its values.
///
/// For the hot statements: a put, get, lease (without work limits) and ack of one
/// message, and a publish of one entry or one slice. Sent unnamed, as `PostgresQuery`
/// goes, the server parses and plans `SELECT dq.put_one(…)` again for every call, which
/// is about 60 µs of a put's 230 µs round trip here (docs/PERFORMANCE.md). Everything
/// else is sent as `PostgresQuery`.
///
/// For example:
///
/// ```swift
/// let call = PreparedCall("SELECT dq.len($1)", .text("jobs"))
/// let rows = try session.rows(call)
/// ```
///
/// Uses postgres-nio's `PreparedQuery` (values as `PostgresData`), its prepared-statement
/// API that returns futures: the newer `PostgresPreparedStatement` is async only, and
/// reaching it from a blocked thread would add a thread hop per call.
struct PreparedCall: Sendable {
    /// The statement, with `$1`, `$2` … where its values go.
    let sql: String
    let values: [PostgresData]

    init(_ sql: String, _ values: PostgresData...) {
        self.sql = sql
        self.values = values
    }
}

extension PostgresData {
    /// A `text` value, or NULL.
    static func text(_ value: String?) -> PostgresData {
        value.map { PostgresData(string: $0) } ?? PostgresData(type: .text)
    }

    /// A `bytea` value.
    static func bytes(_ value: some Sequence<UInt8>) -> PostgresData {
        PostgresData(bytes: value)
    }

    /// A `bigint` value, or NULL.
    static func int8(_ value: Int64?) -> PostgresData {
        value.map { PostgresData(int64: $0) } ?? PostgresData(type: .int8)
    }

    /// A `bigint[]` value.
    static func int8Array(_ values: [Int64]) -> PostgresData {
        PostgresData(array: values.map { PostgresData(int64: $0) }, elementType: .int8)
    }

    /// A `bytea[]` value.
    static func bytesArray<Bytes: Sequence<UInt8>>(_ values: [Bytes]) -> PostgresData {
        PostgresData(array: values.map { PostgresData(bytes: $0) }, elementType: .bytea)
    }

    /// A `text[]` value.
    static func textArray(_ values: [String]) -> PostgresData {
        PostgresData(array: values.map { PostgresData(string: $0) }, elementType: .text)
    }

    /// An `integer` value, or NULL.
    static func int4(_ value: Int32?) -> PostgresData {
        value.map { PostgresData(int32: $0) } ?? PostgresData(type: .int4)
    }

    /// A `boolean` value.
    static func bool(_ value: Bool) -> PostgresData {
        PostgresData(bool: value)
    }
}
