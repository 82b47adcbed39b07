import Synchronization

/// Idle connections to one store, handed to one thread at a time.
///
/// `@unchecked Sendable`: `idle` is a `Mutex`, and a connection taken from it is used
/// by the taking thread alone until it is put back.
final class ConnectionPool: @unchecked Sendable {
    private let idle = Mutex<[Handed]>([])
    private let open: () throws -> Connection
    private let maxIdle: Int

    init(maxIdle: Int = 8, open: @escaping () throws -> Connection) {
        self.open = open
        self.maxIdle = maxIdle
    }

    /// Adds an already open connection (the one that checked the store at startup).
    func add(_ connection: Connection) {
        let maxIdle = maxIdle
        idle.withLock { idle in
            if idle.count < maxIdle { idle.append(Handed(connection: connection)) }
        }
    }

    /// Calls `body` with each idle connection in turn.
    func forEachIdle(_ body: (Connection) -> Void) {
        idle.withLock { idle in
            for handed in idle { body(handed.connection) }
        }
    }

    /// Runs `body` with a connection of its own, opening a new one when none is idle.
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try idle.withLock { $0.popLast()?.connection } ?? open()
        defer { add(connection) }
        return try body(connection)
    }

    /// A connection no thread uses while it is idle: handed over whole, so it may cross
    /// between threads (`@unchecked Sendable`, guarded by `idle`'s `Mutex`).
    private struct Handed: @unchecked Sendable {
        let connection: Connection
    }
}
