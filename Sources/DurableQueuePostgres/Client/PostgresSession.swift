import DurableQueue
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// One connection to the server, for blocking callers: each query is sent by NIO's event
/// loop while the calling thread waits for its result. The engine's operations are one
/// statement (or one call of a `dq` function) each, so a statement is a transaction and
/// a lost connection never leaves anything half-done.
///
/// Not for use by two threads at once: `SessionPool` lends each session to one caller.
final class PostgresSession: @unchecked Sendable {  // one borrower at a time (SessionPool)
    let connection: PostgresConnection
    private let logger: Logger
    /// The statements this connection has prepared, by their SQL (`PreparedCall`).
    private var prepared: [String: PreparedQuery] = [:]

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Opens a connection to `address`, waiting for it on the calling thread, with the
    /// session `settings` (such as `lock_timeout`) sent in its startup message.
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` when the server cannot be reached or
    ///   refuses the login, naming the address without its password.
    static func open(_ address: PostgresAddress, id: Int, logger: Logger,
                     settings: [(String, String)] = []) throws(DQError) -> PostgresSession {
        var configuration = try address.configuration()
        configuration.options.additionalStartupParameters += settings
        do {
            let connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                            configuration: configuration, id: id, logger: logger).wait()
            return PostgresSession(connection: connection, logger: logger)
        } catch let error as PSQLError {
            throw DQError(.storeUnavailable, "cannot connect to PostgreSQL at \(address): \(PostgresAddress.reason(error))")
        } catch {
            throw DQError(.storeUnavailable, "cannot connect to PostgreSQL at \(address): \(error)")
        }
    }

    /// Whether the connection is gone (closed by either side).
    var isClosed: Bool { connection.isClosed }

    /// Runs `query` and returns its rows.
    ///
    /// - Throws: `PostgresFailure` (see there for what is retried).
    func rows(_ query: PostgresQuery) throws(PostgresFailure) -> [PostgresRow] {
        do {
            return Array(try connection.query(query, logger: logger).wait().rows)
        } catch {
            throw PostgresFailure(error)
        }
    }

    /// Runs `call`'s statement, preparing it first if this connection has not, and
    /// returns its rows.
    ///
    /// A statement the server no longer knows, or whose plan went stale, is prepared
    /// again once (the server refuses those before running anything).
    ///
    /// - Throws: `PostgresFailure`.
    func rows(_ call: PreparedCall) throws(PostgresFailure) -> [PostgresRow] {
        do {
            return try run(call)
        } catch where error.isStalePreparedStatement {
            prepared[call.sql] = nil
            return try run(call)
        }
    }

    private func run(_ call: PreparedCall) throws(PostgresFailure) -> [PostgresRow] {
        do {
            let statement: PreparedQuery
            if let known = prepared[call.sql] {
                statement = known
            } else {
                statement = try connection.prepare(query: call.sql).wait()
                prepared[call.sql] = statement
            }
            return try statement.execute(call.values).wait()
        } catch {
            let failure = PostgresFailure(error)
            // The older API hands back what ended the connection as it came (an I/O or
            // TLS error): with the connection closed, it is a lost connection.
            if case .error = failure.kind, failure.sqlState == nil, connection.isClosed {
                throw PostgresFailure(.connectionLost)
            }
            throw failure
        }
    }

    /// Runs `query` and returns how many rows it changed or returned.
    @discardableResult
    func run(_ query: PostgresQuery) throws(PostgresFailure) -> Int {
        do {
            return try connection.query(query, logger: logger).wait().metadata.rows ?? 0
        } catch {
            throw PostgresFailure(error)
        }
    }

    /// Closes the connection (postgres-nio requires that before it is released).
    func close() {
        _ = try? connection.close().wait()
    }
}

/// A statement a session runs: sent unnamed (`PostgresQuery`) or by name (`PreparedCall`).
protocol SessionStatement: Sendable {
    func rows(on session: PostgresSession) throws(PostgresFailure) -> [PostgresRow]
}

extension PostgresQuery: SessionStatement {
    func rows(on session: PostgresSession) throws(PostgresFailure) -> [PostgresRow] {
        try session.rows(self)
    }
}

extension PreparedCall: SessionStatement {
    func rows(on session: PostgresSession) throws(PostgresFailure) -> [PostgresRow] {
        try session.rows(self)
    }
}
