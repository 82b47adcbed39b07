import DurableQueue
import PostgresNIO
import Synchronization

/// Named locks on PostgreSQL: a session advisory lock, held by a connection of its own
/// for as long as the lock is held. The server drops it when that session ends, so a
/// holder that dies, however it dies, frees the lock at once.
extension PostgresEngine {
    func namedLock(_ name: String) throws(DQError) -> any EngineLock {
        PostgresNamedLock(pool: pool, name: name, busyTimeout: options.busyTimeout)
    }
}

/// `dq lock NAME`: `pg_advisory_lock(hashtextextended(NAME, LockSpace.named))`, a 64-bit
/// key (the one-key form, apart from dq's two-key locks).
struct PostgresNamedLock: EngineLock {
    let pool: SessionPool
    let name: String
    let busyTimeout: Duration

    func acquire(timeout: Duration?) throws(DQError) -> any LockHold {
        let session = try pool.lend()
        let key = PostgresSchema.LockSpace.named
        do throws(PostgresFailure) {
            if timeout == .zero {
                let rows = try session.rows("SELECT pg_try_advisory_lock(hashtextextended(\(name), \(key)))")
                guard rows.first.flatMap({ try? $0.decode(Bool.self) }) == true else { throw Self.held(name) }
            } else {
                let wait = timeout.map { max(1, Timestamp.microseconds($0) / 1_000) } ?? 0
                try session.run("SELECT set_config('lock_timeout', \(String(wait) + "ms"), false)")
                try session.run("SELECT pg_advisory_lock(hashtextextended(\(name), \(key)))")
                try session.run("SELECT set_config('lock_timeout', \(String(Timestamp.microseconds(busyTimeout) / 1_000) + "ms"), false)")
            }
        } catch {
            session.close()
            switch error.kind {
            case .error(let error) where error.kind == .timedOut: throw DQError(.timedOut, "lock \(name) is held by another process")
            case .error(let error): throw error
            case .connectionLost, .retry: throw DQError(.timedOut, "lost PostgreSQL while taking lock \(name)")
            }
        }
        return PostgresLockHold(pool: pool, session: session, name: name)
    }

    private static func held(_ name: String) -> PostgresFailure {
        PostgresFailure(.error(DQError(.timedOut, "lock \(name) is held by another process")))
    }
}

/// A taken named lock: the connection that holds it.
final class PostgresLockHold: LockHold {
    let pool: SessionPool
    let session: PostgresSession
    let name: String
    private let released = Atomic<Bool>(false)

    init(pool: SessionPool, session: PostgresSession, name: String) {
        self.pool = pool
        self.session = session
        self.name = name
    }

    var fileDescriptor: Int32? { nil }

    /// The lock ends with its connection: `body` runs (on NIO's event loop) if the
    /// connection closes before `release()`.
    func whenLost(_ body: @escaping @Sendable () -> Void) {
        session.connection.closeFuture.whenComplete { [self] _ in
            if !released.load(ordering: .acquiring) { body() }
        }
    }

    func release() {
        released.store(true, ordering: .releasing)
        do throws(PostgresFailure) {
            try session.run("SELECT pg_advisory_unlock(hashtextextended(\(name), \(PostgresSchema.LockSpace.named)))")
            pool.giveBack(session)
        } catch {
            // Closing the session releases the lock too.
            session.close()
        }
    }
}
