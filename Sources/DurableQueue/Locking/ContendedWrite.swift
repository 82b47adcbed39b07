import DQSystem

/// How a connection waits when SQLite's write lock is taken (the default, with
/// `StoreOptions.writerLock` off): writers that meet contention queue in the kernel on
/// `flock(PATH-lock)`, and only the one at the head of that queue polls SQLite's lock:
/// every 2 µs for the first 30 µs, then with short sleeps. Uncontended writes cost
/// nothing extra.
///
/// SQLite's own busy handler sleeps 1, 2, 5, 10 … ms between tries, so one collision
/// between a producer and a consumer would cost a whole millisecond; polling every few
/// microseconds instead would make every waiting writer spin. Queueing on the `flock`
/// keeps one poller at a time, and the next one starts the moment the previous one
/// commits.
///
/// Installed as the connection's busy handler. The lock is held from the first
/// collision until the transaction ends (`finish()`), so writers that queued behind
/// it are woken by the kernel exactly when the way is clear.
///
/// Not `Sendable`: it belongs to one connection, which one thread uses at a time.
final class ContendedWrite {
    private let lock: WriterLock
    private let timeout: Duration
    private var deadline: UInt64 = 0
    private var hold: WriterLock.Hold?
    /// Set by `Store.write` around its transaction. Only writers queue on the lock:
    /// anything else that meets a lock (a reader during WAL recovery, a `TRUNCATE`
    /// checkpoint, which waits for readers while holding SQLite's write lock) polls,
    /// so it never holds the writers' queue while they wait for SQLite's lock.
    var writing = false
    /// A shorter wait than the busy timeout for what runs meanwhile (see `limitingWaits`).
    private var limit: Duration?

    /// Sleeps (µs) between tries of the writer at the head of the queue, after the
    /// first `spinningFor`.
    private static let pauses: [UInt32] = [20, 20, 50, 50, 100, 100, 200, 200, 500, 1_000]
    /// How long (ns) the head of the queue tries again every `spin` without sleeping:
    /// the holder of the write lock is most often in the middle of a commit of a few
    /// microseconds, and even a 20 µs sleep lasts 45–100 µs on a virtual machine.
    /// (Not `sched_yield`: with another busy process on the CPU, one yield can cost a
    /// whole time slice, milliseconds.)
    private static let spinningFor: UInt64 = 30_000
    private static let spin: UInt64 = 2_000
    /// When the head of the queue started polling, and how often it slept since.
    private var pollingSince: UInt64 = 0
    private var sleeps = 0

    init(lock: WriterLock, timeout: Duration) {
        self.lock = lock
        self.timeout = timeout
    }

    /// Makes `connection` wait this way when it finds the database locked.
    func install(on connection: Connection) {
        connection.setBusyHandler { [unowned self] count in busy(count) }
        connection.contention = self
    }

    /// SQLite found the database locked for the `count`-th time in a row: `true` to
    /// try again, `false` to give up with SQLITE_BUSY (the timeout has passed).
    private func busy(_ count: Int32) -> Bool {
        let now = Deadline.monotonicNanoseconds()
        if count == 0 {
            let (nanoseconds, tooLong) = UInt64(max(0, Timestamp.microseconds(limit ?? timeout))).multipliedReportingOverflow(by: 1_000)
            let (end, overflow) = now.addingReportingOverflow(nanoseconds)
            deadline = tooLong || overflow ? .max : end
        }
        guard now < deadline else { return false }
        if writing && hold == nil {
            // Queue behind the other writers that met the same lock; the kernel wakes us
            // when the one ahead has committed.
            hold = try? lock.acquire(timeout: .nanoseconds(Int64(clamping: deadline - now)))
            startPolling(at: Deadline.monotonicNanoseconds())
            return hold != nil
        }
        if count == 0 { startPolling(at: now) }
        switch Self.pause(polledFor: now - pollingSince, sleeps: sleeps) {
        case .spin(let nanoseconds):
            let until = now + nanoseconds
            while Deadline.monotonicNanoseconds() < until {}
            return true
        case .sleep(let microseconds):
            CurrentProcess.sleepPrecisely(microseconds: microseconds)
            sleeps += 1
            return Deadline.monotonicNanoseconds() < deadline
        }
    }

    /// How the head of the queue waits before its next try.
    enum Pause: Equatable {
        case spin(nanoseconds: UInt64)
        case sleep(microseconds: UInt32)
    }

    /// The wait before the next try, after polling for `polledFor` ns and sleeping
    /// `sleeps` times since: spins for the first `spinningFor`, then sleeps `pauses`.
    static func pause(polledFor: UInt64, sleeps: Int) -> Pause {
        if polledFor < spinningFor { return .spin(nanoseconds: spin) }
        return .sleep(microseconds: pauses[min(sleeps, pauses.count - 1)])
    }

    private func startPolling(at now: UInt64) {
        pollingSince = now
        sleeps = 0
    }

    /// Runs `body` giving up on locks after `wait` instead of the busy timeout.
    func limitingWaits<T>(to wait: Duration, _ body: () throws -> T) rethrows -> T {
        limit = wait
        defer { limit = nil }
        return try body()
    }

    /// `limitingWaits` on `connection`'s handler, if it has one.
    static func limiting<T>(_ connection: Connection, to wait: Duration, _ body: () throws -> T) rethrows -> T {
        guard let contention = connection.contention else { return try body() }
        return try contention.limitingWaits(to: wait, body)
    }

    /// Lets the next queued writer go. Call when the transaction has ended.
    func finish() {
        if let hold {
            lock.release(hold)
            self.hold = nil
        }
    }
}
