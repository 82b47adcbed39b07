import FoundationEssentials

/// The store contract: what queues, leases, shared state and waits *mean*, as one
/// protocol that an engine implements. `Store`, `Queue`, `Dict`, `SharedList`,
/// `Counter`, `Event` and the `dq` command line are written once against it; the SQLite
/// engine (`SQLiteEngine`) is the first implementation. `ContractTests` run the same
/// expectations against every engine.
///
/// Every write operation is one transaction: it either happens whole or not at all,
/// and it wakes the readers waiting on what it changed before it returns. Arguments
/// are already validated by the public API (names, sizes, positive counts).
package protocol StoreEngine: AnyObject, Sendable {
    /// Where the store lives, as the user named it (a path, later a URL without its
    /// password): for messages.
    var location: String { get }

    // MARK: Queues

    /// Stores `messages` on `queue` in order, in one transaction. A message whose dedup
    /// key is held by a message still in the queue adds nothing and reports that
    /// message's id. Ids increase in commit order within a queue.
    func put(_ messages: [OutgoingMessage], on queue: String, progress: ((Int) -> Void)?) throws(DQError) -> [PutResult]

    /// Removes and returns up to `limit` deliverable messages in delivery order (higher
    /// priority first, then commit order), waiting up to `timeout` (`nil`: forever,
    /// `.zero`: not at all) for the first. At-most-once: the removal is committed before
    /// this returns. Returns none on timeout or when `interrupt` is signalled.
    func get(from queue: String, limit: Int, timeout: Duration?, interrupt: WaitInterrupt?) throws(DQError) -> [Message]

    /// The async `get`: sleeps without holding a thread, and throws
    /// `DQError.Kind.cancelled` if the task is cancelled before anything was taken.
    func get(from queue: String, limit: Int, timeout: Duration?) async throws(DQError) -> [Message]

    /// Hides up to `limit` deliverable messages for `lease` and returns them with
    /// receipts, waiting as `get` does; first acks `acking` in the same transaction (any
    /// stale receipt there: `.staleReceipt`, nothing done). A message that already had
    /// `maxAttempts` deliveries goes to the dead letters instead. With `releaseOnExit`,
    /// the leases also end promptly when this process dies. With `limits`, leases only
    /// while the queue's running count (leases taken with a running limit and still held)
    /// is under `maxRunning`, and at most one per `rate.interval` across every process
    /// (counted after the acks); otherwise it waits as for an empty queue.
    func receive(from queue: String, lease: Duration, limit: Int, timeout: Duration?, maxAttempts: Int,
                 acking: [Receipt], releaseOnExit: Bool, limits: WorkLimits?, interrupt: WaitInterrupt?) throws(DQError) -> [LeasedMessage]

    /// The async `receive`: sleeps without holding a thread, and throws
    /// `DQError.Kind.cancelled` if the task is cancelled before anything was taken (acks
    /// in `acking` are committed first either way).
    func receive(from queue: String, lease: Duration, limit: Int, timeout: Duration?, maxAttempts: Int,
                 acking: [Receipt], releaseOnExit: Bool, limits: WorkLimits?) async throws(DQError) -> [LeasedMessage]

    /// Removes the leased message `receipt` names; `false` if the receipt is stale (or
    /// of another queue).
    func ack(_ receipt: Receipt, on queue: String) throws(DQError) -> Bool

    /// Returns a leased message: deliverable again after `delay`, or a dead letter once
    /// it has had `maxAttempts` deliveries, keeping `failure` and the time it died;
    /// `false` if the receipt is stale.
    func nack(_ receipt: Receipt, on queue: String, delay: Duration, maxAttempts: Int,
              failure: DeliveryFailure?) throws(DQError) -> Bool

    /// Makes a lease end `lease` from now; `false` if the receipt is stale.
    func extend(_ receipt: Receipt, on queue: String, by lease: Duration) throws(DQError) -> Bool

    /// Returns a leased message at once without counting the delivery as an attempt;
    /// `false` if the receipt is stale.
    func release(_ receipt: Receipt, on queue: String) throws(DQError) -> Bool

    /// The queue a receipt was handed out by, while the engine still knows it (`nil`
    /// otherwise): for telling a receipt given to the wrong queue from a stale one.
    func queue(ofReceipt receipt: Receipt) throws(DQError) -> String?

    /// The next `limit` deliverable messages in delivery order, left in the queue.
    func peek(_ queue: String, limit: Int) throws(DQError) -> [Message]

    /// How many messages could be received now.
    func count(_ queue: String) throws(DQError) -> Int

    /// Deletes every ready, leased and delayed message of `queue`; returns how many.
    func purge(_ queue: String) throws(DQError) -> Int

    /// The dead letters of `queue`, oldest first, at most `limit`, each with when and
    /// why it died. A message buried because it came back after `maxAttempts`
    /// deliveries without being settled records that as its reason.
    func deadLetters(of queue: String, limit: Int) throws(DQError) -> [DeadLetter]

    /// Puts every dead letter of `queue` back with no attempts counted; returns how many.
    func retryDead(of queue: String) throws(DQError) -> Int

    /// Deletes the dead letters of `queue`; returns how many.
    func purgeDead(of queue: String) throws(DQError) -> Int

    /// How many messages `queue` has taken in and given out, counted by every process
    /// (statistics, not data: they may start over).
    func traffic(ofQueue queue: String) -> QueueTraffic

    /// How `queue`'s deliveries went (redeliveries, first deliveries' waits), counted by
    /// every process (statistics, not data: they may start over).
    func deliveries(ofQueue queue: String) -> QueueDeliveries

    // MARK: Requests and replies

    /// A new reply address of this process (`ReplyAddress`), registering the process as
    /// a lease holder first if it is not one yet: its replies go when it ends.
    func replyAddress() throws(DQError) -> String

    /// Acks `receipt` (when given) and puts `reply` on the queue `address` names, in one
    /// transaction, waking the caller. No reply is put when `address` is no reply address
    /// or its caller's process has ended. `false`, with nothing done, if the receipt is stale.
    func reply(_ reply: Reply, to address: String, acking receipt: Receipt?, on queue: String) throws(DQError) -> Bool

    // MARK: Schedules

    /// Adds the schedule `name`, or replaces it: a replaced schedule with the same rule
    /// keeps its next tick, a new rule is first due at `rule.tick(after: now, from: nil)`
    /// by the store's clock. Wakes the processes waiting to fire schedules. Returns it as stored.
    func saveSchedule(_ name: String, queue: String, rule: ScheduleRule, body: Data) throws(DQError) -> Schedule

    /// Every schedule, by name.
    func schedules() throws(DQError) -> [Schedule]

    /// Deletes the schedule `name`, waking the processes waiting to fire schedules;
    /// returns whether it existed.
    func removeSchedule(_ name: String) throws(DQError) -> Bool

    /// Puts the body of schedule `name` on its queue now, in the transaction that records
    /// it as fired, leaving its ticks as they are; `false` if there is no such schedule.
    func runSchedule(_ name: String) throws(DQError) -> Bool

    /// Fires every schedule due by the store's clock: puts its body on its queue and moves
    /// its next tick past now (`ScheduleRule.tick(after:from:)`), in one transaction, so
    /// that each tick puts once whatever number of processes fire. Returns what it fired
    /// and how long until the next tick.
    func fireDueSchedules() throws(DQError) -> ScheduleFiring

    // MARK: Streams

    /// Appends `entries` to `stream` in one transaction, numbering them after its last
    /// sequence (1 for its first), and puts a copy of each (`EntryEnvelope`) on the queue
    /// of every group of the stream, waking their subscribers; then drops what `trim`
    /// says from the log. An entry whose key an entry published within `dedupWindow`
    /// holds adds nothing and reports that entry's sequence.
    func publish(_ entries: [OutgoingEntry], to stream: String, dedupWindow: Duration,
                 trim: StreamTrim?) throws(DQError) -> [PublishResult]

    /// `publish(_:to:dedupWindow:trim:)` of one entry, trimming nothing (an engine may
    /// spare the arrays).
    func publish(_ entry: OutgoingEntry, to stream: String, dedupWindow: Duration) throws(DQError) -> PublishResult

    /// The group `group` of `stream`, whose copies go to `queue`; created if absent, in
    /// the transaction that copies the log's entries from `start` on to `queue`, so that
    /// the group gets each entry once whatever is published meanwhile.
    func openGroup(_ group: String, queue: String, on stream: String, from start: StreamStart) throws(DQError) -> StreamGroupRecord

    /// Up to `limit` entries of `stream`'s log from `sequence` on, oldest first.
    func streamEntries(_ stream: String, from sequence: Int64, limit: Int) throws(DQError) -> [StreamEntry]

    /// `stream`'s last sequence, its log's extent and its groups by name; `nil` if it
    /// has neither entries nor groups and never had.
    func streamRecord(_ stream: String) throws(DQError) -> StreamRecord?

    /// Every stream that has a record, by name.
    func streamNames() throws(DQError) -> [String]

    /// Deletes entries from `stream`'s log: those beyond the newest `maxLength`, those
    /// older than `maxAge`, and those up to `through`; returns how many.
    func trim(_ stream: String, _ trim: StreamTrim) throws(DQError) -> Int

    /// Deletes the group's record and everything its queue holds (as `drop(_:)` does), in
    /// one transaction that no publish or group creation of the stream interleaves with;
    /// returns whether the group existed.
    func removeGroup(_ group: String, on stream: String) throws(DQError) -> Bool

    /// Deletes `stream`'s log, record, groups and their queues' contents in one such
    /// transaction; returns how many log entries went.
    func removeStream(_ stream: String) throws(DQError) -> Int

    // MARK: Queue administration

    /// Deletes everything `queue` holds — ready, delayed and leased messages, dead
    /// letters, dedup keys and the engine's own rows for it — so that `stats` no longer
    /// lists it; returns how many messages and dead letters went.
    func drop(_ queue: String) throws(DQError) -> Int

    /// The message `id` of `queue`, in whatever state it is; `nil` if it holds none.
    func message(_ id: Int64, in queue: String) throws(DQError) -> StoredMessage?

    /// Up to `limit` messages of `queue` in one of `states` with ids above `after`, in id
    /// order (the order they were put); changes nothing.
    func messages(in queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int) throws(DQError) -> [StoredMessage]

    /// `messages(in:states:after:limit:)`, waiting up to `timeout` (`nil`: forever,
    /// `.zero`: not at all) for at least one, woken as a blocked `get` is (not by
    /// polling). Returns none on timeout or when `interrupt` is signalled.
    func follow(_ queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int, timeout: Duration?,
                interrupt: WaitInterrupt?) throws(DQError) -> [StoredMessage]

    /// The async `follow`: sleeps without holding a thread, and throws
    /// `DQError.Kind.cancelled` if the task is cancelled.
    func follow(_ queue: String, states: Set<StoredMessage.State>, after: Int64, limit: Int,
                timeout: Duration?) async throws(DQError) -> [StoredMessage]

    /// Deletes the messages `ids` of `queue` whatever their state (a deleted lease's
    /// receipt becomes stale, a deleted message's dedup key is free), in one
    /// transaction; returns the ids it found.
    func delete(_ ids: [Int64], from queue: String) throws(DQError) -> [Int64]

    /// Puts the dead letters `ids` of `queue` back as `retryDead(of:)` does, in one
    /// transaction; returns the ids it found.
    func retryDead(_ ids: [Int64], of queue: String) throws(DQError) -> [Int64]

    /// Moves up to `limit` (`nil`: all) ready messages of `source` in delivery order —
    /// or with `dead`, its dead letters oldest first — to `destination`, in one
    /// transaction. Each is put anew there (new id, no attempts counted) with its body,
    /// priority and dedup key; one whose key `destination` already holds is dropped and
    /// counted as a duplicate. `source` and `destination` differ.
    func move(from source: String, to destination: String, limit: Int?, dead: Bool) throws(DQError) -> MoveResult

    // MARK: Shared state

    /// The value and version of `key` in `dict`; the version changes with every write.
    func entry(_ key: String, in dict: String) throws(DQError) -> DictEntry?

    /// Every key of `dict` with its value, in key order.
    func entries(of dict: String) throws(DQError) -> [(key: String, value: Data)]

    /// Sets `key` in `dict` to `value`.
    func setEntry(_ key: String, in dict: String, to value: Data) throws(DQError)

    /// Reads `key` and writes what `transform` returns, in one transaction: `.none`
    /// leaves it as it is, `.some(nil)` deletes it, `.some(value)` sets it. Returns
    /// whether it wrote. `transform`'s own errors are rethrown as they are.
    func updateEntry(_ key: String, in dict: String, _ transform: (Data?) throws -> Data??) throws -> Bool

    /// Appends `values` to `list` in one transaction; returns the list's new length.
    func append(_ values: [Data], to list: String) throws(DQError) -> Int

    /// Every value of `list`, first appended first.
    func values(of list: String) throws(DQError) -> [Data]

    /// The length of `list`.
    func length(of list: String) throws(DQError) -> Int

    /// Removes and returns the last value of `list`, if any.
    func popLast(of list: String) throws(DQError) -> Data?

    /// Adds `amount` to `counter` (absent: 0) and returns the new value;
    /// `.invalidArgument` if that would overflow.
    func add(_ amount: Int64, to counter: String) throws(DQError) -> Int64

    /// The value of `counter` (absent: 0).
    func value(of counter: String) throws(DQError) -> Int64

    /// Sets `counter` to `value`.
    func set(_ counter: String, to value: Int64) throws(DQError)

    /// Sets or clears `event`.
    func setEvent(_ event: String, _ isSet: Bool) throws(DQError)

    /// Whether `event` is set (absent: clear).
    func isSet(_ event: String) throws(DQError) -> Bool

    /// Deletes every key of `dict`, waking the waiters of each; returns how many.
    func drop(dict: String) throws(DQError) -> Int

    /// Deletes every value of `list`; returns how many.
    func drop(list: String) throws(DQError) -> Int

    /// Deletes `counter` (it reads 0 again), waking its waiters; returns whether it existed.
    func drop(counter: String) throws(DQError) -> Bool

    /// Deletes `event` (it is clear again), waking its waiters; returns whether it existed.
    func drop(event: String) throws(DQError) -> Bool

    /// Calls `look` until it returns a value, sleeping in between until `subject` changes
    /// (woken by the engine, not by polling; a slow safety re-check is allowed), until
    /// `timeout` passes (`nil`: never), or `interrupt` is signalled (then `nil`).
    func wait<T>(for subject: WaitSubject, timeout: Duration?, interrupt: WaitInterrupt?,
                 look: () throws(DQError) -> T?) throws(DQError) -> T?

    /// The async `wait(for:timeout:interrupt:look:)`: sleeps without holding a thread;
    /// throws `DQError.Kind.cancelled` when the task is cancelled.
    func wait<T>(for subject: WaitSubject, timeout: Duration?, look: () throws(DQError) -> T?) async throws(DQError) -> T?

    // MARK: Locks

    /// The exclusive lock called `name`, shared by every process of the store: held from
    /// `EngineLock.acquire` until the hold is released or its process ends, however it
    /// ends. Threads of one process take turns on one `EngineLock`.
    func namedLock(_ name: String) throws(DQError) -> any EngineLock

    /// The named locks some process holds now, with their holders and waiters; takes
    /// no lock to find out.
    func heldLocks() throws(DQError) -> [HeldLock]

    // MARK: The store

    /// A watch that wakes when anything in the store may have changed (for live views
    /// such as `dq stats --watch`); changes before this call are not reported.
    func watchChanges() throws(DQError) -> any ChangeWatch

    /// Counts per queue (only queues that hold messages or dead letters), per dict,
    /// list and counter, every event and whether it is set, and the engine's storage
    /// sizes.
    func stats() throws(DQError) -> StoreStats

    /// The counts `stats()` gives for each of `queues` that holds messages or dead
    /// letters, sorted by name, reading nothing of other queues: what it costs does not
    /// depend on how many queues the store holds.
    func stats(ofQueues queues: [String]) throws(DQError) -> [QueueStats]

    /// The engine's own consistency check: `"ok"` or its findings, one per line.
    func integrityCheck() throws(DQError) -> String

    /// Returns unused storage to the system, at most `budget` units (pages) now;
    /// returns how many.
    func reclaimSpace(budget: Int64?) throws(DQError) -> Int64

    /// The descriptor that keeps this process counted alive as a lease holder, if the
    /// engine has one (child processes that inherit it count as this process).
    var leaseHolderDescriptor: Int32? { get }
}

/// A dict entry: its value and a version that changes with every write to it.
package struct DictEntry: Sendable, Equatable {
    package let value: Data
    package let version: Int64

    package init(value: Data, version: Int64) {
        self.value = value
        self.version = version
    }
}

/// What a shared-state wait watches.
package enum WaitSubject: Sendable, Hashable {
    case dictKey(dict: String, key: String)
    case counter(String)
    case event(String)
    /// Any schedule added, changed or removed.
    case schedules

    /// The wake-up channel of this subject in an engine's `WaitReactor`.
    package var channel: String {
        switch self {
        case .dictKey(let dict, let key): Self.channel("dict", dict, key)
        case .counter(let name): Self.channel("counter", name)
        case .event(let name): Self.channel("event", name)
        case .schedules: Self.channel("schedules", "")
        }
    }

    /// The wake-up channel of a piece of shared state. Control characters cannot occur
    /// in queue names (a queue's channel is its name), so these never share one with a queue.
    package static func channel(_ kind: String, _ name: String, _ key: String = "") -> String {
        "\u{1}" + kind + "\u{1}" + name + "\u{1}" + key
    }
}

/// One named lock of an engine (`StoreEngine.namedLock(_:)`).
package protocol EngineLock: Sendable {
    /// Takes the lock, waiting at most `timeout` (`nil`: as long as it takes);
    /// `.timedOut` if another holder kept it that long.
    func acquire(timeout: Duration?) throws(DQError) -> any LockHold
}

/// A taken lock.
package protocol LockHold: Sendable {
    /// A descriptor whose open file keeps the lock held for as long as any process has
    /// it open (so a child that inherits it keeps the lock), if the engine's locks work
    /// that way; `nil` otherwise.
    var fileDescriptor: Int32? { get }

    /// Releases the lock. Called once.
    func release()

    /// Has `body` called once, on another thread, if the lock is lost while held (its
    /// connection to the server ends); never for a lock the kernel holds until its holder
    /// exits (the default).
    func whenLost(_ body: @escaping @Sendable () -> Void)
}

extension LockHold {
    package func whenLost(_ body: @escaping @Sendable () -> Void) {}
}

/// Wakes when the store may have changed (`StoreEngine.watchChanges()`).
package protocol ChangeWatch: Sendable {
    /// Waits until a change (or one since the last call), `timeout`, or `interrupt`;
    /// returns `true` for a change. Several changes may be reported as one.
    func wait(timeout: Duration, interrupt: WaitInterrupt?) -> Bool
}

extension StoreEngine {
    package func publish(_ entry: OutgoingEntry, to stream: String, dedupWindow: Duration) throws(DQError) -> PublishResult {
        try publish([entry], to: stream, dedupWindow: dedupWindow, trim: nil)[0]
    }
}
