import DurableQueue
import DurableQueuePostgres
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// One connection to PostgreSQL for the floors, used as dq's engine uses its own: the
/// statement goes out on NIO's event loop while the calling thread waits for its result
/// (`EventLoopFuture.wait()`), so floor and dq pay the same client cost.
///
/// Not for use by two threads at once.
final class RawPostgresConnection {
    let connection: PostgresConnection
    private let logger = Logger(label: "dq.bench.floor")

    /// Connects to `address` (a `postgres://` address); with `synchronous` "full" every
    /// commit waits for its WAL flush, as dq's `--sync full` does, else the server's
    /// `synchronous_commit` holds, as for dq.
    ///
    /// - Throws: `BenchError` naming the address and the server's reason.
    init(address: String, sync: String = "normal") throws {
        do {
            let configuration = try PostgresAddress(address).configuration()
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                        configuration: configuration, id: 1, logger: logger).wait()
        } catch let error as DQError {
            throw BenchError(description: error.message)
        } catch {
            throw BenchError(description: "cannot connect to \(address): \(Self.reason(error))")
        }
        if sync == "full" { try run("SET synchronous_commit = on") }
    }

    deinit {
        _ = try? connection.close().wait()
    }

    /// The rows of one statement (one round trip, its own transaction).
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        do {
            return Array(try connection.query(query, logger: logger).wait().rows)
        } catch {
            throw BenchError(description: "floor: \(Self.reason(error))")
        }
    }

    /// Runs one statement.
    func run(_ query: PostgresQuery) throws {
        _ = try rows(query)
    }

    /// The server's message, when it sent one (`PSQLError` describes itself as nothing).
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        return error.serverInfo?[.message] ?? error.underlying.map { "\($0)" } ?? "\(error.code)"
    }
}
