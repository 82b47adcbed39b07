import DQSystem
import DurableQueue
import Logging
import PostgresNIO
import Synchronization

/// The connections one store uses for its statements: each caller borrows one for a
/// statement (or a few) and gives it back; idle ones are kept for the next caller, up to
/// `maxIdle`. A connection that was lost is dropped, and the statement runs again on a
/// new one until the busy timeout passes.
///
/// The store's listening connection (`SessionKeeper`) comes from here too, and is lent
/// for single statements when no idle connection is left (`SharedTurn`), so a process
/// that waits and takes, one thing at a time, keeps one connection, not two.
final class SessionPool: Sendable {
    let address: PostgresAddress
    private let logger: Logger
    /// How long a statement is retried on new connections before giving up.
    let busyTimeout: Duration
    /// Session settings every connection starts with (its startup message).
    private let settings: [(String, String)]
    /// Runs on every new connection before it is used.
    private let prepare: @Sendable (PostgresSession) throws(PostgresFailure) -> Void
    private let idle = Mutex<[PostgresSession]>([])
    private let nextID = Atomic<Int>(1)
    /// Set when the server most likely ended every connection (see `idleMayBeLost()`).
    private let idleSuspect = Atomic<Bool>(false)
    /// The listening connection, once the keeper has one, and whose turn it is on it.
    private let shared = Mutex<(session: PostgresSession, turn: SharedTurn)?>(nil)
    /// Idle connections kept at most.
    static let maxIdle = 8

    init(address: PostgresAddress, busyTimeout: Duration, logger: Logger, settings: [(String, String)] = [],
         prepare: @escaping @Sendable (PostgresSession) throws(PostgresFailure) -> Void) {
        self.address = address
        self.settings = settings
        self.busyTimeout = busyTimeout
        self.logger = logger
        self.prepare = prepare
    }

    deinit {
        idle.withLock { sessions in for session in sessions { session.close() } }
    }

    /// Opens a connection now (the store's first, which tells at once whether the server
    /// can be reached) and keeps it for the next caller.
    ///
    /// - Throws: `DQError.Kind.storeUnavailable` when the server cannot be reached or
    ///   refuses the login.
    func connectNow() throws(DQError) {
        let session = try open()
        giveBack(session)
    }

    /// Runs `body` on a connection (the listening one only if `single`: `body` runs one
    /// statement, its own transaction). A connection that cannot be had is tried again until
    /// the busy timeout; a serialization failure or deadlock runs `body` again at once.
    /// A connection lost while `body` ran leaves it unknown whether its last statement
    /// committed: `body` runs again on a new connection if `retrying` (reads, and writes
    /// that change nothing the second time), else the caller is told.
    ///
    /// - Throws: the `DQError` that `body`'s failure means; `.timedOut` (dq exits 75)
    ///   when no connection could be had within the busy timeout, or when the connection
    ///   was lost under a `body` that may not run twice.
    func withSession<T>(retrying: Bool = true, single: Bool = false,
                        _ body: (PostgresSession) throws(PostgresFailure) -> T) throws(DQError) -> T {
        let deadline = ContinuousClock.now + busyTimeout
        var pause = Duration.milliseconds(50)
        var lastProblem = ""
        while true {
            let session: PostgresSession
            do {
                session = try borrow(single: single)
            } catch {
                lastProblem = error.message
                guard ContinuousClock.now + pause < deadline else { throw lost(lastProblem) }
                Self.sleep(pause)
                pause = min(pause * 2, .seconds(1))
                continue
            }
            do {
                let result = try body(session)
                giveBack(session)
                return result
            } catch {
                switch error.kind {
                case .error(let error):
                    giveBack(session)
                    throw error
                case .retry:
                    giveBack(session)
                case .connectionLost:
                    session.close()
                    dropIdle()
                    guard retrying else {
                        throw DQError(.timedOut, "lost the connection to PostgreSQL at \(address) during the operation: "
                                      + "it may or may not have been done")
                    }
                    lastProblem = "the connection was lost"
                }
            }
            guard ContinuousClock.now < deadline else { throw lost(lastProblem) }
        }
    }

    private func lost(_ problem: String) -> DQError {
        DQError(.timedOut, "lost PostgreSQL at \(address) and could not get it back within \(busyTimeout): \(problem)")
    }

    /// A connection for a caller to keep for a while (a held lock); it comes back with
    /// `giveBack(_:)`, or is closed.
    func lend() throws(DQError) -> PostgresSession {
        try borrow(single: false)
    }

    /// A connection for the store's `SessionKeeper` to listen on: an idle one if there is
    /// one (unless `fresh`), else a new one. Once set up, `share(_:)` lends it to callers.
    func sessionToShare(fresh: Bool = false) throws(DQError) -> PostgresSession {
        if !fresh, let session = takeIdle() { return session }
        return try open()
    }

    /// Makes `session` the listening connection, which callers may borrow for single
    /// statements between the keeper's own uses; returns whose turn it is on it.
    func share(_ session: PostgresSession) -> SharedTurn {
        let turn = SharedTurn()
        shared.withLock { $0 = (session, turn) }
        return turn
    }

    /// Whether `session` is the listening connection, lent to a caller.
    func isListening(_ session: PostgresSession) -> Bool {
        shared.withLock { $0?.session === session }
    }

    /// Tells the pool that the server most likely ended its idle connections (the store's
    /// listening connection was lost: a restart): the next borrower closes them and opens
    /// a new one rather than send a statement that may not run twice on a connection that
    /// is dead but not yet seen closed. Safe to call on NIO's event loop.
    func idleMayBeLost() {
        idleSuspect.store(true, ordering: .releasing)
    }

    /// An idle connection, else the listening one if `single` and it is free, else a new one.
    private func borrow(single: Bool) throws(DQError) -> PostgresSession {
        if let session = takeIdle() { return session }
        if single, let (session, turn) = shared.withLock({ $0 }), !session.isClosed, turn.takeForCaller() {
            return session
        }
        return try open()
    }

    /// An idle connection not seen closed, if there is one (none after `idleMayBeLost()`).
    private func takeIdle() -> PostgresSession? {
        if idleSuspect.exchange(false, ordering: .acquiringAndReleasing) { dropIdle() }
        while let session = idle.withLock({ $0.popLast() }) {
            if !session.isClosed { return session }
            session.close()
        }
        return nil
    }

    private func open() throws(DQError) -> PostgresSession {
        let session = try PostgresSession.open(address, id: nextID.add(1, ordering: .relaxed).oldValue, logger: logger,
                                               settings: settings)
        do {
            try prepare(session)
        } catch {
            session.close()
            if case .error(let error) = error.kind { throw error }
            throw DQError(.storeUnavailable, "cannot set up a connection to PostgreSQL at \(address): \(error.kind)")
        }
        return session
    }

    func giveBack(_ session: PostgresSession) {
        if let turn = shared.withLock({ $0?.session === session ? $0?.turn : nil }) {
            turn.release()
            return
        }
        let extra = idle.withLock { sessions -> PostgresSession? in
            guard sessions.count < Self.maxIdle, !session.isClosed else { return session }
            sessions.append(session)
            return nil
        }
        extra?.close()
    }

    /// After one connection was lost, the idle ones most likely were too (a restart).
    private func dropIdle() {
        let sessions = idle.withLock { sessions in defer { sessions = [] }; return sessions }
        for session in sessions { session.close() }
    }

    /// A pause between tries to reconnect (the server is restarting: nothing to wait on).
    private static func sleep(_ duration: Duration) {
        CurrentProcess.sleep(microseconds: UInt32(duration / .microseconds(1)))
    }
}
