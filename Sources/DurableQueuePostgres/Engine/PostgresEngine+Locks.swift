import DurableQueue
import FoundationEssentials
import PostgresNIO
import Synchronization

/// Named locks on PostgreSQL: a session advisory lock, held by a connection of its own
/// for as long as the lock is held. The server drops it when that session ends, so a
/// holder that dies, however it dies, frees the lock at once.
extension PostgresEngine {
    func namedLock(_ name: String) throws(DQError) -> any EngineLock {
        PostgresNamedLock(pool: pool, name: name, busyTimeout: options.busyTimeout)
    }

    /// The `dq lock` advisory locks granted in this database whose names dq recorded
    /// (`dq.lock_names`), with the dq process of the holding connection (its
    /// `application_name`, `dq PID`), the address it came from, and how many wait.
    func heldLocks() throws(DQError) -> [HeldLock] {
        try rows("""
            SELECT n.name, a.application_name, host(a.client_addr), (extract(epoch FROM now() - n.taken_at) * 1000000)::bigint,
                   (SELECT count(*) FROM pg_locks w WHERE w.locktype = 'advisory' AND w.database = l.database
                        AND w.classid = l.classid AND w.objid = l.objid AND w.objsubid = 1 AND NOT w.granted)
            FROM pg_locks l
            JOIN dq.lock_names n ON n.key = (l.classid::bigint << 32) | l.objid::bigint
            LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """).map { row throws(DQError) in
            let (name, application, host, held, waiting) = try Self.decode(row, as: (String, String?, String?, Int64, Int64).self)
            let pid = application.flatMap { $0.hasPrefix("dq ") ? Int32($0.dropFirst(3)) : nil }
            // How long by the server's clock, as a time on this machine's.
            let since = Timestamp.date(Timestamp.now() - max(0, held))
            return HeldLock(name: name, pid: pid, host: host, since: since, waiting: Int(waiting))
        }
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
                guard rows.first.flatMap({ try? PostgresEngine.decode($0, as: Bool.self) }) == true else { throw Self.held(name) }
            } else {
                let wait = timeout.map { max(1, Timestamp.microseconds($0) / 1_000) } ?? 0
                try session.run("SELECT set_config('lock_timeout', \(String(wait) + "ms"), false)")
                try session.run("SELECT pg_advisory_lock(hashtextextended(\(name), \(key)))")
                try session.run("SELECT set_config('lock_timeout', \(String(Timestamp.microseconds(busyTimeout) / 1_000) + "ms"), false)")
            }
            // For listings: the name of this key, and when it was taken. A failure here
            // costs only the listing, never the lock.
            _ = try? session.run("""
                INSERT INTO dq.lock_names AS n (key, name, taken_at) VALUES (hashtextextended(\(name), \(key)), \(name), now())
                ON CONFLICT (key) DO UPDATE SET name = excluded.name, taken_at = excluded.taken_at
                """)
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
