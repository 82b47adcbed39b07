import DurableQueue
import NIOCore
import PostgresNIO

/// A failed statement, sorted by what the engine does about it: a lost connection is
/// retried on a new one within the busy timeout; a serialization failure or deadlock
/// (rolled back whole by the server) is retried at once; anything else becomes the
/// `DQError` it means.
struct PostgresFailure: Error {
    enum Kind {
        /// The connection is gone: the statement may or may not have committed.
        case connectionLost
        /// The server rolled the statement back and it can simply run again.
        case retry
        /// A final answer.
        case error(DQError)
    }

    let kind: Kind
    /// The server's SQLSTATE and message, when the server refused the statement.
    let sqlState: String?
    let serverMessage: String?

    init(_ kind: Kind) {
        self.kind = kind
        (sqlState, serverMessage) = (nil, nil)
    }

    /// The failure `error` means: a `PSQLError` (statements sent as `PostgresQuery`), or
    /// what postgres-nio's older API makes of one (`PostgresError`, a NIO error), which
    /// prepared statements (`PreparedCall`) report.
    init(_ error: any Error) {
        if let error = error as? PostgresError {
            switch error {
            case .server(let notice):
                (sqlState, serverMessage) = (notice.fields[.sqlState] ?? "", notice.fields[.message] ?? "server error")
                kind = Self.kind(sqlState: sqlState ?? "", message: serverMessage ?? "")
            case .connectionClosed:
                (kind, sqlState, serverMessage) = (.connectionLost, nil, nil)
            case .protocol(let message):
                // How the older API reports a connection that ended mid-statement.
                let lost = message == "Unexpected connection close"
                kind = lost ? .connectionLost : .error(DQError(.internalError, "PostgreSQL client: \(message)"))
                (sqlState, serverMessage) = (nil, nil)
            }
            return
        }
        sqlState = (error as? PSQLError)?.serverInfo?[.sqlState]
        serverMessage = (error as? PSQLError)?.serverInfo?[.message]
        if error is IOError || error is ChannelError {
            kind = .connectionLost
            return
        }
        guard let error = error as? PSQLError else {
            kind = .error(DQError(.internalError, "PostgreSQL client: \(error)"))
            return
        }
        switch error.code {
        case .server:
            kind = Self.kind(sqlState: sqlState ?? "", message: serverMessage ?? "server error")
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
            kind = .connectionLost
        case .queryCancelled:
            kind = .error(DQError(.timedOut, "the statement was cancelled"))
        default:
            kind = .error(DQError(.internalError, "PostgreSQL client: \(PostgresAddress.reason(error))"))
        }
    }

    /// Whether the server no longer knows a prepared statement (26000, after a
    /// `DEALLOCATE` or `DISCARD`) or will not run its plan because what it returns has
    /// changed (0A000, a function replaced by another version of dq's schema).
    var isStalePreparedStatement: Bool {
        sqlState == "26000" || (sqlState == "0A000" && serverMessage?.hasPrefix("cached plan must not change") == true)
    }

    /// What the server's SQLSTATE means for dq.
    static func kind(sqlState state: String, message: String) -> Kind {
        switch state {
        case "40001", "40P01": return .retry  // serialization failure, deadlock detected
        case "57P01", "57P02", "57P03", "08000", "08003", "08006": return .connectionLost  // shutdown, connection failure
        case "55P03", "57014": return .error(DQError(.timedOut, "PostgreSQL: \(message)"))  // lock or statement timeout
        case "53100": return .error(DQError(.diskFull, "PostgreSQL: \(message)"))
        case "53200", "53300", "53400": return .error(DQError(.resourceExhausted, "PostgreSQL: \(message)"))
        case "42501": return .error(DQError(.permissionDenied, "PostgreSQL: \(message)"))
        case "25006": return .error(DQError(.permissionDenied, "PostgreSQL: \(message)"))  // read-only transaction
        case "54000": return .error(DQError(.invalidArgument, "PostgreSQL: \(message)"))  // program limit exceeded
        case "DQ001": return .error(DQError(.staleReceipt, message))
        case "DQ002": return .error(DQError(.invalidArgument, message))
        default: return .error(DQError(.internalError, "PostgreSQL (\(state)): \(message)"))
        }
    }
}
