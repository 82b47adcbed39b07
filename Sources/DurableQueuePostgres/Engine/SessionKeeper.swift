import DQSystem
import DurableQueue
import Logging
import PostgresNIO
import Synchronization

/// The one long-lived connection of a store in this process (taken from its
/// `SessionPool`, which lends it for single statements in between): it `LISTEN`s for the
/// channels its waiters wait on (each noted with `dq.listen`, since puts notify only
/// the queues some other session listens on), and holds this process's lease-holder lock (a session
/// advisory lock, which the server drops when the session ends, however the process
/// ends). It is the store's `RingSource`: notifications arrive on NIO's event loop,
/// which notes the channel and signals an eventfd that the `WaitReactor` polls.
///
/// It also makes the safety re-check of the process's queue readers (`WaitProbe`).
///
/// When the connection is lost (a server restart), the next look of any waiter
/// (`revive()`) opens a new one, listens again and takes the holder lock again; rings
/// sent meanwhile count as lost, so every waiter looks again.
final class SessionKeeper: RingSource, Sendable {
    let address: PostgresAddress
    private let pool: SessionPool
    private let logger: Logger
    private let counter: EventCounter
    /// The once-a-second re-check for this process's queue readers, on this connection.
    let probe: WaitProbe
    /// Server channel names rung since the last drain, and whether rings were lost.
    private let rung = Mutex<(channels: Set<String>, lost: Bool)>(([], false))
    private let state = Mutex<State>(State())
    /// The channels watched, as in `state`, for `ringHere` (`state` is held across round trips).
    private let watched = Mutex<Set<String>>([])
    /// Runs when the connection is lost, before the waiters are woken.
    private let lostHandler = Mutex<(@Sendable () -> Void)?>(nil)

    private struct State {
        var session: PostgresSession?
        /// Per server channel: its listener in the client, and the waiters' channels it serves.
        var listens: [String: (context: PostgresListenContext, channels: Set<String>)] = [:]
        /// Each watched waiter channel's server channel.
        var serverChannel: [String: String] = [:]
        /// This process's lease-holder id, once it has leased with `releaseOnExit`.
        var holder: Int32?
        /// Whether a connection was ever opened (a later one is a reconnection).
        var connectedBefore = false
    }

    init(pool: SessionPool, busyTimeout: Duration, logger: Logger) throws(DQError) {
        self.pool = pool
        address = pool.address
        self.logger = logger
        probe = WaitProbe(busyTimeout: busyTimeout, logger: logger)
        do throws(Errno) {
            counter = try EventCounter()
        } catch {
            throw DQError(.resourceExhausted, "cannot make a wake-up descriptor: \(error.message)")
        }
    }

    deinit {
        state.withLock { state in state.session?.close() }
        counter.close()
    }

    var descriptor: DQSystem.FileDescriptor { counter.descriptor }

    // MARK: RingSource

    func watch(_ channel: String) throws(DQError) {
        try state.withLock { state throws(DQError) in
            try onConnection(&state) { session, state throws(PostgresFailure) in
                let server = NotificationChannel.name(for: channel)
                if state.listens[server] != nil {
                    state.listens[server]?.channels.insert(channel)
                } else {
                    // postgres-nio sends the listener's LISTEN on this connection ahead of the
                    // dq.listen below: once that is answered, every later notification comes.
                    let context = listen(server, on: session)
                    state.listens[server] = (context, [channel])
                }
                // After the LISTEN, before the waiter's look: puts notify only listened queues.
                try Self.register(channel, on: session)
                state.serverChannel[channel] = server
                watched.withLock { _ = $0.insert(channel) }
            }
        }
    }

    func isWatching(_ channel: String) -> Bool {
        state.withLock { $0.serverChannel[channel] != nil }
    }

    func unwatch(_ channel: String) {
        state.withLock { state in
            guard let server = state.serverChannel.removeValue(forKey: channel) else { return }
            watched.withLock { _ = $0.remove(channel) }
            // Not waited for: it goes out on the connection before any later dq.listen.
            if let session = state.session, !session.isClosed {
                session.connection.query("SELECT dq.unlisten(\(channel))", logger: logger).whenComplete { _ in }
            }
            state.listens[server]?.channels.remove(channel)
            if state.listens[server]?.channels.isEmpty == true {
                // Stopping the last listener of a channel sends its UNLISTEN. Waiting for a
                // statement behind it makes sure it is done: postgres-nio would hold back a
                // new listener's LISTEN until then, past the dq.listen of a watch.
                state.listens.removeValue(forKey: server)?.context.stop()
                if let session = state.session, !session.isClosed { _ = try? session.run("SELECT 1") }
            }
        }
    }

    func drain(_ rung: (String) -> Void) -> Bool {
        counter.clear()
        let (servers, lost) = self.rung.withLock { taken in
            defer { taken = ([], false) }
            return taken
        }
        let channels = state.withLock { state in servers.flatMap { state.listens[$0]?.channels ?? [] } }
        for channel in channels { rung(channel) }
        return !lost
    }

    func waiterArrived(on channel: String) {}
    func waiterLeft(_ channel: String) {}

    // MARK: The connection

    /// Opens a new connection if the last one was lost; then every waiter looks again.
    /// Failure is left for the waiter's own statements to report.
    func revive() {
        state.withLock { state in
            guard state.connectedBefore, state.session?.isClosed != false else { return }
            _ = try? connected(&state)
        }
    }

    /// This process's lease-holder id: the first call registers it (a session advisory
    /// lock held by this connection, then its `dq.holders` row).
    func holderID() throws(DQError) -> Int32 {
        try state.withLock { state throws(DQError) -> Int32 in
            if let holder = state.holder, let session = state.session, !session.isClosed { return holder }
            let holder = try onConnection(&state) { session, state throws(PostgresFailure) -> Int32 in
                // A new connection takes the holder lock again if there is one.
                if let holder = state.holder { return holder }
                let id = try session.rows("SELECT nextval('dq.holder_ids')::integer").first.flatMap { try? PostgresEngine.decode($0, as: Int32.self) } ?? 0
                try Self.register(holder: id, on: session)
                return id
            }
            state.holder = holder
            probe.holder.store(holder, ordering: .relaxed)
            return holder
        }
    }

    /// The holder id if this process has one (0 otherwise), without registering.
    var currentHolder: Int32 { probe.holder.load(ordering: .relaxed) }

    /// Notes on the server that this connection listens on `channel` (`dq.listen`).
    private static func register(_ channel: String, on session: PostgresSession) throws(PostgresFailure) {
        try session.run("SELECT dq.listen(\(channel))")
    }

    private static func register(holder: Int32, on session: PostgresSession) throws(PostgresFailure) {
        try session.run("SELECT pg_advisory_lock(\(PostgresSchema.LockSpace.holders), \(holder))")
        try session.run("INSERT INTO dq.holders (id) VALUES (\(holder)) ON CONFLICT (id) DO UPDATE SET since = now()")
    }

    /// The live connection: the pool's idle one or a new one, then listening again and
    /// holding the holder lock again if an earlier one was lost.
    private func connected(_ state: inout State) throws(DQError) -> PostgresSession {
        if let session = state.session, !session.isClosed { return session }
        let reopened = state.connectedBefore
        state.session?.close()
        state.session = nil
        var fresh = false
        var session: PostgresSession
        while true {
            session = try pool.sessionToShare(fresh: fresh)
            do throws(PostgresFailure) {
                try setUp(session, state: &state)
                break
            } catch {
                // Never lent yet, but it may listen already: not for the pool.
                session.close()
                guard case .connectionLost = error.kind else { throw Self.meaning(error) }
                // An idle connection may have been lost unseen (a restart): a new one, once.
                guard !fresh else { throw DQError(.storeUnavailable, "cannot listen on PostgreSQL at \(address)") }
                fresh = true
            }
        }
        let turn = pool.share(session)
        // A lost connection loses rings: every waiter looks again (and reconnects).
        let connection = session.connection
        connection.closeFuture.whenComplete { [weak self] _ in self?.connectionClosed(connection) }
        state.session = session
        state.connectedBefore = true
        probe.start(on: session.connection, turn: turn) { [weak self] queue in
            self?.ring(NotificationChannel.name(for: queue))
        }
        if reopened {
            logger.notice("reconnected to PostgreSQL", metadata: ["store": "\(address)"])
            rung.withLock { $0.lost = true }
            counter.signal()
        }
        return session
    }

    /// `body` on the live connection; if that turns out lost (an idle one taken after a
    /// restart, not yet seen closed), once more on a new one.
    private func onConnection<T>(_ state: inout State,
                                 _ body: (PostgresSession, inout State) throws(PostgresFailure) -> T) throws(DQError) -> T {
        var attempt = 1
        while true {
            let session = try connected(&state)
            do throws(PostgresFailure) {
                return try body(session, &state)
            } catch {
                guard case .connectionLost = error.kind, attempt == 1 else { throw Self.meaning(error) }
                session.close()
                attempt += 1
            }
        }
    }

    /// Takes the holder lock (if this process has a holder id) and listens on every
    /// channel watched, on a new listening connection. Each listener's `LISTEN` goes out
    /// ahead of its channel's `dq.listen`.
    private func setUp(_ session: PostgresSession, state: inout State) throws(PostgresFailure) {
        if let holder = state.holder { try Self.register(holder: holder, on: session) }
        for server in state.listens.keys {
            state.listens[server]?.context = listen(server, on: session)
        }
        for channel in state.serverChannel.keys { try Self.register(channel, on: session) }
    }

    private func listen(_ server: String, on session: PostgresSession) -> PostgresListenContext {
        session.connection.addListener(channel: server) { [weak self] _, _ in self?.ring(server) }
    }

    /// Has `body` run (on NIO's event loop) each time the connection is lost, before the
    /// waiters are woken to look again.
    func whenConnectionLost(_ body: @escaping @Sendable () -> Void) {
        lostHandler.withLock { $0 = body }
    }

    private func connectionClosed(_ connection: PostgresConnection) {
        probe.stop(on: connection)
        lostHandler.withLock { $0 }?()
        rung.withLock { $0.lost = true }
        counter.signal()
    }

    /// Rings this process's waiters on `queue` as its notification would, if `queue` is
    /// watched, after a put that ran on this connection: a put notifies only the queues
    /// other sessions listen on (`dq.listen`, schema version 11).
    func ringHere(_ queue: String) {
        guard watched.withLock({ $0.contains(queue) }) else { return }
        ring(NotificationChannel.name(for: queue))
    }

    /// `ringHere` for every watched queue of a group of `stream`: a publish that ran on
    /// the listening connection copied to them without notifying this process.
    func ringHere(groupsOf stream: String) {
        let bell = StreamGroup.bellChannel(ofStream: stream)
        let queues = watched.withLock { $0.filter { StreamGroup.bellChannel(ofQueue: $0) == bell } }
        for queue in queues { ring(NotificationChannel.name(for: queue)) }
    }

    /// A notification on `server` arrived (on NIO's event loop).
    private func ring(_ server: String) {
        rung.withLock { _ = $0.channels.insert(server) }
        counter.signal()
    }

    /// The `DQError` a failure of the keeper's own statements means.
    private static func meaning(_ failure: PostgresFailure) -> DQError {
        switch failure.kind {
        case .error(let error): error
        case .connectionLost, .retry: DQError(.storeUnavailable, "lost the connection to PostgreSQL")
        }
    }
}
