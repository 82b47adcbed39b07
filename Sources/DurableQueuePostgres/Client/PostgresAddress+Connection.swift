import DQSystem
import DurableQueue
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

extension PostgresAddress {
    /// The postgres-nio configuration for this address: TCP or the unix socket, and TLS
    /// as `sslmode` says (`prefer` and `require` verify the server's certificate with the
    /// system's trust roots).
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` if a TLS context cannot be made.
    public func configuration() throws(DQError) -> PostgresConnection.Configuration {
        var configuration = try plainConfiguration()
        // Operators (and tests) can tell dq's sessions apart in pg_stat_activity.
        configuration.options.additionalStartupParameters = [("application_name", "dq \(CurrentProcess.id)")]
        return configuration
    }

    private func plainConfiguration() throws(DQError) -> PostgresConnection.Configuration {
        switch endpoint {
        case .socket(let directory, let port):
            return PostgresConnection.Configuration(unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: user,
                                                    password: password, database: database)
        case .tcp(let host, let port):
            let tlsMode: PostgresConnection.Configuration.TLS
            do {
                switch tls {
                case .disable: tlsMode = .disable
                case .prefer: tlsMode = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require: tlsMode = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            } catch {
                throw DQError(.storeUnavailable, "cannot set up TLS for \(self): \(error)")
            }
            return PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                    database: database, tls: tlsMode)
        }
    }

    /// Opens one connection to the server.
    ///
    /// For example:
    ///
    /// ```swift
    /// let connection = try await PostgresAddress("postgres://dq@/dq?host=/run/postgresql").connect()
    /// defer { Task { try? await connection.close() } }
    /// ```
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` (dq exits 73) when the server cannot be
    ///   reached or refuses the login, naming the address without its password.
    public func connect(logger: Logger = Logger(label: "dq.postgres")) async throws(DQError) -> PostgresConnection {
        let configuration = try configuration()
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch let error as PSQLError {
            throw DQError(.storeUnavailable, "cannot connect to PostgreSQL at \(self): \(Self.reason(error))")
        } catch {
            throw DQError(.storeUnavailable, "cannot connect to PostgreSQL at \(self): \(error)")
        }
    }

    /// What went wrong, in the server's words when it said something, else the system's
    /// (`PSQLError`'s own description is deliberately empty).
    static func reason(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying as? IOError { return Errno(rawValue: underlying.errnoCode).message }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }
}
