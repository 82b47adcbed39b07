import Dispatch
import FoundationEssentials
import Synchronization

/// Keeps WAL checkpoints out of the commits that readers wait on.
///
/// SQLite's default runs a checkpoint inside whichever commit takes the write-ahead
/// log past 1,000 pages: that commit then takes milliseconds. Instead, a commit that finds the log past `backgroundPages`
/// asks for a passive checkpoint on a background thread and returns at once; only if
/// the log reaches `inlinePages` (2,000 pages: nobody got round to it, for example a short-lived
/// `dq put` that exits first) does the commit checkpoint inline, as SQLite would.
///
/// The log only starts over (a commit writes from its beginning again) when a
/// transaction begins with every frame already checkpointed, which a background
/// checkpoint racing a steady stream of commits never quite achieves. So a background
/// checkpoint is asked for only when the log has grown `backgroundPages` past what the
/// last one copied — not after every commit past the mark, which would run a
/// checkpoint (and two fsyncs) per commit, contending with the writer for SQLite's file
/// mutex.
///
/// `@unchecked Sendable`: `scheduled` and `checkpointed` are atomic; `store` is only read.
final class Checkpointer: @unchecked Sendable {
    static let backgroundPages: Int32 = 1_000
    static let inlinePages: Int32 = 2_000

    private weak var store: SQLiteEngine?
    private let scheduled = Atomic<Bool>(false)
    /// How many frames of the log the last checkpoint this process ran had copied.
    private let checkpointed = Atomic<Int32>(0)
    private let queue = DispatchQueue(label: "dq.checkpoint", qos: .utility)

    init() {}

    func attach(to store: SQLiteEngine) {
        self.store = store
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
        guard reclaiming.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        queue.async { [self] in
            try? store?.tidyUp()
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
        if pages >= Self.inlinePages {
            checkpointed.store(Self.checkpoint(connection, schema: "main"), ordering: .relaxed)
        } else if pages >= Self.backgroundPages && pages - done >= Self.backgroundPages {
            schedule()
        }
    }

    private func schedule() {
        guard scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        queue.async { [self] in
            scheduled.store(false, ordering: .releasing)
            try? store?.withConnection { connection in
                checkpointed.store(Self.checkpoint(connection, schema: nil), ordering: .relaxed)
            }
        }
    }

    /// A passive checkpoint of `schema` (`nil`: all) on `connection`: the frames copied,
    /// or -1 (none known, as SQLite reports it) when it failed.
    private static func checkpoint(_ connection: Connection, schema: String?) -> Int32 {
        // Best effort: a failed checkpoint (another one running, say) is asked for
        // again by a later commit.
        (try? connection.checkpointPassively(schema: schema)) ?? -1
    }
}
