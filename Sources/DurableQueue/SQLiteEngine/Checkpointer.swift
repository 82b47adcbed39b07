import Dispatch
import FoundationEssentials
import Synchronization

/// Keeps WAL checkpoints out of the commits that readers wait on, and the log short.
///
/// SQLite's default runs a checkpoint inside whichever commit takes the write-ahead
/// log past 1,000 pages: that commit then takes milliseconds. Instead, a commit that
/// finds the log `backgroundPages` past what the last checkpoint copied asks for one on
/// a background thread and returns at once. Only if the log reaches `inlinePages`
/// (nobody got round to it, for example a short-lived `dq put` that exits first) does
/// the commit checkpoint inline, as SQLite would.
///
/// The log only starts over (the next commit writes from its beginning again) when a
/// transaction begins with every frame already copied, which a checkpoint racing a
/// steady stream of commits never achieves: the log would grow for as long as commits
/// keep coming, and past `inlinePages` every commit would checkpoint inline (one or two
/// fsyncs each). So the background checkpoint runs in two passes: a passive one copies
/// the bulk while writers go on, then a full one, with the writers' queue held (see
/// `SQLiteEngine.holdingWriters`), copies the few frames committed meanwhile, so the
/// next commit starts the log over. Writers wait only for that second pass, which gives
/// up after `catchUpWait` if a reader or writer holds it up.
///
/// The store is held `unowned`, not `weak`: a weak reference would give the store a
/// side table, after which every retain and release of it (several per operation) takes
/// Swift's slow path. It is only read while the store is in use (a commit of one of its
/// connections, or a call of its own), and each background task holds the store strongly
/// until it is done. Once the store's `deinit` began (`detach()`), nothing is scheduled.
///
/// `@unchecked Sendable`: `scheduled`, `checkpointed` and `detached` are atomic; `store`
/// is set once, before any connection is used.
final class Checkpointer: @unchecked Sendable {
    static let backgroundPages: Int32 = 1_000
    static let inlinePages: Int32 = 2_000
    /// How long the full pass waits for a writer or a reader of an older snapshot
    /// before giving up (the log starts over after a later pass instead): writers wait
    /// for it meanwhile.
    static let catchUpWait: Duration = .milliseconds(2)
    /// How long the full pass waits its turn in the writers' queue (writers go on
    /// meanwhile; it only delays the pass).
    static let catchUpTurnWait: Duration = .milliseconds(100)

    private unowned var store: SQLiteEngine?
    private let detached = Atomic<Bool>(false)
    private let scheduled = Atomic<Bool>(false)
    /// How many frames of the log the last checkpoint this process ran had copied.
    private let checkpointed = Atomic<Int32>(0)
    private let queue = DispatchQueue(label: "dq.checkpoint", qos: .utility)

    init() {}

    func attach(to store: SQLiteEngine) {
        self.store = store
    }

    /// The store's `deinit` began: its commits from now on (a last sweep) schedule nothing.
    func detach() {
        detached.store(true, ordering: .releasing)
    }

    /// The store, held strongly by the caller, if it is not being deinitialized.
    private var liveStore: SQLiteEngine? {
        detached.load(ordering: .acquiring) ? nil : store
    }

    /// Installs the commit hook on `connection` (replacing SQLite's auto-checkpoint).
    func install(on connection: Connection) {
        connection.setWALHook { [self] connection, pages in committed(connection, pages: pages) }
    }

    private let reclaiming = Atomic<Bool>(false)
    private let lastReclaimCheck = Atomic<Int64>(.min / 2)
    static let reclaimCheckInterval: Int64 = 1_000_000

    /// Asks for drained lanes to be deleted and free pages returned to the filesystem,
    /// on the background queue (a reader just found its queue empty: a backlog may have
    /// drained). See `SQLiteEngine.tidyUp`.
    func scheduleReclaim() {
        // Readers find their queue empty all the time (a ping-pong, every wait): check at
        // most once a second, not on every wait.
        let now = Int64(Deadline.monotonicNanoseconds() / 1_000)
        let last = lastReclaimCheck.load(ordering: .relaxed)
        guard now - last >= Self.reclaimCheckInterval,
              lastReclaimCheck.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return }
        guard let store = liveStore,
              reclaiming.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        queue.async { [self] in
            try? store.tidyUp()
            reclaiming.store(false, ordering: .releasing)
        }
    }

    /// A commit left the log `pages` frames long.
    private func committed(_ connection: Connection, pages: Int32) {
        var done = checkpointed.load(ordering: .relaxed)
        if pages < done {
            // The log started over.
            done = 0
            checkpointed.store(0, ordering: .relaxed)
        }
        if pages - done >= Self.inlinePages {
            let copied = Self.checkpoint(connection, .passive, schema: "main")
            checkpointed.store(copied >= 0 ? copied : pages, ordering: .relaxed)
        } else if pages - done >= Self.backgroundPages {
            // Counted as copied until the checkpoint says how far it got, so that the
            // commits meanwhile (or after it failed) do not ask again.
            checkpointed.store(pages, ordering: .relaxed)
            schedule()
        }
    }

    private func schedule() {
        guard let store = liveStore,
              scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        queue.async { [self] in
            scheduled.store(false, ordering: .releasing)
            // Another process checkpointing (-1) catches up itself.
            let copied = (try? store.withConnection { connection in Self.checkpoint(connection, .passive, schema: nil) }) ?? -1
            guard copied >= 0 else { return }
            checkpointed.store(copied, ordering: .relaxed)
            let caughtUp = try? store.holdingWriters(timeout: Self.catchUpTurnWait) { connection in
                ContendedWrite.limiting(connection, to: Self.catchUpWait) {
                    Self.checkpoint(connection, .full, schema: nil)
                }
            }
            if let caughtUp { checkpointed.store(caughtUp, ordering: .relaxed) }
        }
    }

    /// A checkpoint of `schema` (`nil`: all) on `connection`: the frames copied, or -1
    /// (none known, as SQLite reports it) when it failed.
    private static func checkpoint(_ connection: Connection, _ mode: Connection.CheckpointMode, schema: String?) -> Int32 {
        // Best effort: a failed checkpoint (another one running, say) is asked for
        // again by a later commit.
        (try? connection.checkpoint(mode, schema: schema)) ?? -1
    }
}
