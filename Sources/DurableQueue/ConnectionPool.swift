import Foundation

/// Idle connections to one store, handed to one thread at a time.
///
/// `@unchecked Sendable`: `idle` is only touched under `lock`, and a connection
/// taken from it is used by the taking thread alone until it is put back.
final class ConnectionPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Connection] = []
    private let open: () throws -> Connection
    private let maxIdle: Int

    init(maxIdle: Int = 8, open: @escaping () throws -> Connection) {
        self.open = open
        self.maxIdle = maxIdle
    }

    /// Adds an already open connection (the one that checked the store at startup).
    func add(_ connection: Connection) {
        lock.withLock {
            if idle.count < maxIdle { idle.append(connection) }
        }
    }

    /// Runs `body` with a connection of its own, opening a new one when none is idle.
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try lock.withLock { idle.popLast() } ?? open()
        defer { add(connection) }
        return try body(connection)
    }
}
