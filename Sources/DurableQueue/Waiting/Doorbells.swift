import DQSystem
import Synchronization

/// One doorbell file per queue in the directory `PATH-wake/` beside the store. A writer
/// that commits a change to a queue rings its bell (writes one byte to it); readers
/// blocked on that queue watch the bell with inotify. A put to one queue therefore
/// wakes only that queue's waiters, and no reader polls. Some queues share a bell
/// (`channel(of:)`): a calling process's reply queues, and the groups of a stream, which
/// a publish wakes all at once.
///
/// A bell is named by the 64-bit FNV-1a hash of the queue name in hex, so names never
/// become path fragments. Ringing is best effort: waiters also re-check now and then.
/// A writer skips the ring when `WaiterCounts` says nobody waits on the queue.
///
/// A put may ring before its commit (`ringBeforeCommit`), when exactly one reader
/// waits, and rings again after it if another reader arrived meanwhile
/// (`ringAfterCommit`). Why no wake-up is lost: docs/ARCHITECTURE.md, "The wake-up
/// protocol", the one place the protocol is written down.
final class Doorbells: Sendable {
    let directory: String
    /// Open descriptors of bells this process rang, by queue.
    private let open = Mutex<[String: FileDescriptor]>([:])
    /// The shared waiter counts, mapped on first use (`nil`: unavailable).
    private let counts: LazySharedFile<WaiterCounts>

    init(storePath: String) {
        directory = storePath + "-wake"
        counts = LazySharedFile(directory: directory, name: "waiters") { WaiterCounts(path: $0) }
    }

    private var waiterCounts: WaiterCounts? { counts.value }

    private static func slot(_ queue: String) -> Int {
        Int(truncatingIfNeeded: hash(channel(of: queue)) % UInt64(WaiterCounts.slots))
    }

    /// The bell `queue` rings and is watched on: a reply queue's is its caller's
    /// (`ReplyAddress.bellChannel(of:)`), a stream group's queue's is its stream's
    /// (`StreamGroup.bellChannel(ofQueue:)`), any other queue's its own.
    static func channel(of queue: String) -> String {
        StreamGroup.bellChannel(ofQueue: queue) ?? ReplyAddress.bellChannel(of: queue)
    }

    /// The most bells whose descriptors a process keeps open after ringing them.
    private static let openBells = 256

    /// Counts a reader as waiting on `queue`, before its last look at the store.
    func willWait(on queue: String) {
        waiterCounts?.increment(Self.slot(queue))
    }

    /// Whether the caller (counted by `willWait`) is the only reader waiting on `queue`
    /// (as far as the shared counters tell: queues sharing a counter slot count too).
    func soleWaiter(on queue: String) -> Bool {
        waiterCounts?.snapshot(Self.slot(queue)).waiting == 1
    }

    func doneWaiting(on queue: String) {
        waiterCounts?.decrement(Self.slot(queue))
    }

    /// How many commits that could wake a reader of `queue` (every one that rings it, or
    /// would were anyone waiting) its slot has counted; `nil` without the shared counts.
    /// Queues sharing the slot count too.
    func writeCount(of queue: String) -> UInt64? {
        waiterCounts?.writes(Self.slot(queue))
    }

    /// Counts a commit to `queue` ahead of `ringAfterCommit(_:early:counted:)`.
    func noteWrite(_ queue: String) {
        waiterCounts?.noteWrite(Self.slot(queue))
    }

    deinit {
        open.withLock { bells in for fd in bells.values { fd.close() } }
    }

    /// The bell file of `queue` (of its caller, for a reply queue: `ReplyAddress.bellChannel`),
    /// created (with its directory) if missing.
    func bell(for queue: String) throws(DQError) -> String {
        let path = directory + "/" + Self.hexHash(Self.channel(of: queue))
        if FileSystem.exists(path) { return path }
        try SideFiles.makeDirectory(directory)
        do throws(Errno) {
            try FileDescriptor.open(path, .writeOnly, options: [.create, .closeOnExec, .noFollow], permissions: 0o600).close()
        } catch {
            throw DQError(error, "cannot create \(path)")
        }
        return path
    }

    /// What `ringBeforeCommit` did, for `ringAfterCommit`.
    struct EarlyRing {
        /// The slot as it was when the bell rang; `nil` if it did not ring.
        fileprivate let seen: WaiterCounts.Snapshot?
        /// The queue's slot, if `ringBeforeCommit` worked it out (so the ring after the
        /// commit need not hash the name again).
        fileprivate var slot: Int? = nil
        static let none = EarlyRing(seen: nil)
    }

    /// Maps the shared waiter counts now if not yet done, so that `ringBeforeCommit`
    /// never creates or maps files while its caller holds the write lock.
    func prepareToRing() {
        _ = counts.value
    }

    /// Rings `queue`'s bell from inside a write transaction, before its commit, if
    /// exactly one reader waits on it (see the type's discussion). Pass the result to
    /// `ringAfterCommit` once the transaction has committed.
    func ringBeforeCommit(_ queue: String) -> EarlyRing {
        guard let counts = waiterCounts else { return .none }
        let slot = Self.slot(queue)
        let seen = counts.snapshot(slot)
        guard seen.waiting == 1 else { return EarlyRing(seen: nil, slot: slot) }
        ringBell(queue)
        return EarlyRing(seen: seen, slot: slot)
    }

    /// Counts the commit in `queue`'s slot (`WaiterCounts.noteWrite`; not if the caller
    /// has, `counted`), then wakes the readers waiting on `queue`, unless `early` already
    /// rang for all of them: no reader started waiting since.
    func ringAfterCommit(_ queue: String, early: EarlyRing, counted: Bool = false) {
        guard let counts = waiterCounts else { return ringBell(queue) }
        let slot = early.slot ?? Self.slot(queue)
        if !counted { counts.noteWrite(slot) }
        let now = counts.snapshot(slot)
        if now.waiting == 0 { return }
        if let seen = early.seen, seen.arrivals == now.arrivals { return }
        ringBell(queue)
    }

    /// Wakes the readers waiting on `queue`. Call after the commit.
    func ring(_ queue: String) {
        ringAfterCommit(queue, early: .none)
    }

    private func ringBell(_ queue: String) {
        let channel = Self.channel(of: queue)
        var byte: UInt8 = 1
        if let known = open.withLock({ $0[channel] }) {
            _ = try? withUnsafeBytes(of: &byte) { try known.write(toAbsoluteOffset: 0, $0) }
            return
        }
        guard let path = try? bell(for: channel),
              let opened = try? FileDescriptor.open(path, .writeOnly, options: [.closeOnExec, .noFollow]) else { return }
        _ = try? withUnsafeBytes(of: &byte) { try opened.write(toAbsoluteOffset: 0, $0) }
        let kept = open.withLock { bells -> Bool in
            if bells[channel] != nil { return false }
            // Bells rung once (callers that came and went) must not pile up descriptors.
            if bells.count >= Self.openBells {
                for fd in bells.values { fd.close() }
                bells.removeAll()
            }
            bells[channel] = opened
            return true
        }
        if !kept { opened.close() }
    }

    /// Deletes the bell of `channel` (a caller found gone: `ReplyAddress.prefix(holder:)`),
    /// so that bells do not pile up; a process that waits on it again makes it anew.
    func removeBell(_ channel: String) {
        open.withLock { bells in bells.removeValue(forKey: channel)?.close() }
        try? FileSystem.remove(directory + "/" + Self.hexHash(channel))
    }

    /// FNV-1a, 64 bits.
    static func hash(_ text: String) -> UInt64 {
        var text = text
        // Over the contiguous UTF-8 (made so if it is not): a walk of `text.utf8` by index
        // costs a put some 300 instructions more for a short name.
        return text.withUTF8 { bytes in
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            return hash
        }
    }

    /// `hash` as 16 hex digits.
    static func hexHash(_ text: String) -> String {
        let digits = String(hash(text), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
