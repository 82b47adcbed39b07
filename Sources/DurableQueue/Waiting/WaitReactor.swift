import DQSystem
import Synchronization

/// Every blocked reader of one store in this process — blocking or async, on queues or
/// shared state — sleeps through this one object: one `RingSource` (on SQLite, one
/// inotify instance) and, once an async wait has slept, one thread. 1,000 async waits
/// cost 1,000 small records, not 1,000 threads or descriptors.
///
/// Each channel (a queue, or a dict key, counter or event) has a ring count. Whoever
/// reads the source (`pump`) adds one to the count of every channel rung and wakes that
/// channel's waiters:
/// - a blocking waiter sleeps in `poll` on the source's descriptor itself, so the
///   common case (one blocked reader: a `dq get`, a worker) wakes with no thread in
///   between; another thread that read its ring first signals the waiter's own
///   `EventCounter`.
/// - an async waiter leaves a continuation; the reactor thread sleeps in `poll` on the
///   source and resumes it, or resumes it when its time is up or its task is cancelled.
///
/// A waiter notes the channel's count before its first look (`enter`) and compares after
/// every sleep: a ring read by anyone after that note is never missed. How writers ring
/// and why no wake-up is lost across processes: docs/ARCHITECTURE.md, "The wake-up
/// protocol".
package final class WaitReactor: Sendable {
    private let source: any RingSource
    private let state = Mutex(State())
    /// Wakes the reactor thread: a sleeper with an earlier deadline, or shutdown.
    private let control: EventCounter
    /// Channels nobody waits on keep their watch for the next wait, up to this many.
    private static let idleWatches = 64

    fileprivate struct State {
        /// Every watched channel: those with waiters, and up to `idleWatches` idle ones
        /// (kept, with their records, for the next wait).
        var channels: [String: Channel] = [:]
        /// The idle channels, least recently used first.
        var idle: [String] = []
        var nextID: UInt64 = 0
        var spareWakes: [EventCounter] = []
        var sleepers: [UInt64: Sleeper] = [:]
        /// Async waits whose task was cancelled (until they leave).
        var cancelled: Set<UInt64> = []
        /// Blocking waiters whose wake-up was signalled (cleared when they leave).
        var signalled: Set<UInt64> = []
        var threadStarted = false
        /// When the reactor thread will wake at the latest (monotonic ns).
        var plannedWake: UInt64 = .max
        var stopping = false
    }

    fileprivate struct Channel {
        var rings: UInt64 = 0
        var waiters = 0
        /// The blocking waiters' own wake-ups, with their tickets (a few per channel: a
        /// list, which needs no `Hashable` lookup at a process's first wait).
        var wakes: [(id: UInt64, wake: EventCounter)] = []
        /// Async waiters asleep now, by ticket.
        var sleeping: Set<UInt64> = []
        /// The ring count at the start of the last look that found the channel drained
        /// (`WaitStep.drained`), if no look since found otherwise.
        var drainedAt: UInt64?
    }

    /// An async waiter asleep. A class, so that blocking waits, which only pass
    /// sleepers around, never need the layout of a `CheckedContinuation` (a resilient
    /// type, whose first use costs a runtime conformance lookup).
    fileprivate final class Sleeper: Sendable {
        let channel: String
        let until: UInt64
        private let continuation: CheckedContinuation<Wake, Never>

        init(channel: String, until: UInt64, continuation: CheckedContinuation<Wake, Never>) {
            self.channel = channel
            self.until = until
            self.continuation = continuation
        }

        @inline(never)
        func resume(_ wake: Wake) {
            continuation.resume(returning: wake)
        }
    }

    /// A waiter's registration, from `enter` to `leave`.
    struct Ticket: Sendable {
        let id: UInt64
        let channel: String
        /// The channel's ring count when the waiter arrived.
        let seen: UInt64
        /// A blocking waiter's own wake-up (`nil` for async waiters).
        let wake: EventCounter?
    }

    /// Why an async sleep ended.
    enum Wake: Sendable {
        case rang, timedOut, cancelled
    }

    /// - Throws: `DQError.Kind.resourceExhausted` if out of descriptors.
    package init(source: any RingSource) throws(DQError) {
        self.source = source
        do throws(Errno) { control = try EventCounter() } catch { throw Self.outOfDescriptors(error) }
    }

    deinit {
        control.close()
        state.withLock { state in for wake in state.spareWakes { wake.close() } }
    }

    /// The source's descriptor, for blocking waiters to poll.
    var sourceDescriptor: FileDescriptor { source.descriptor }

    private static func outOfDescriptors(_ error: Errno) -> DQError {
        DQError(.resourceExhausted, "cannot make a wake-up descriptor: \(error.message)")
    }

    /// Registers a waiter on `channel`, watching it first if needed: rings read from
    /// now on count for it. A blocking waiter gets its own wake-up; for an async one, the
    /// reactor thread is started if it is not running.
    func enter(_ channel: String, blocking: Bool) throws(DQError) -> Ticket {
        if !blocking { try startThread() }
        return try state.withLock { state throws(DQError) -> Ticket in
            if !source.isWatching(channel) { try source.watch(channel) }
            state.nextID += 1
            let id = state.nextID
            var wake: EventCounter?
            if blocking {
                if let spare = state.spareWakes.popLast() {
                    wake = spare
                } else {
                    do throws(Errno) { wake = try EventCounter() } catch { throw Self.outOfDescriptors(error) }
                }
            }
            let seen = state.arrive(on: channel, id: id, wake: wake)
            // Counted after the note of the ring count, so that a ring this count
            // brings (a writer's early ring) is seen as new.
            source.waiterArrived(on: channel)
            return Ticket(id: id, channel: channel, seen: seen, wake: wake)
        }
    }

    /// Ends a waiter's registration.
    func leave(_ ticket: Ticket) {
        state.withLock { state in
            source.waiterLeft(ticket.channel)
            state.cancelled.remove(ticket.id)
            if let wake = ticket.wake {
                if state.signalled.remove(ticket.id) != nil { wake.clear() }
                if state.spareWakes.count < 16 { state.spareWakes.append(wake) } else { wake.close() }
            }
            guard state.depart(ticket), state.idle.count > Self.idleWatches else { return }
            let oldest = state.idle.removeFirst()
            state.channels[oldest] = nil
            source.unwatch(oldest)
        }
    }

    /// Reads the source's rings (without sleeping) and wakes the waiters of every channel
    /// rung, except `caller`'s own wake-up. Returns the ring count of `caller`'s channel.
    @discardableResult
    func pump(for caller: Ticket?) -> UInt64 {
        var resumed: [Sleeper] = []
        let rings = state.withLock { state -> UInt64 in
            // A channel rung twice counts two rings: harmless, waiters compare counts.
            let complete = source.drain { state.rang($0, except: caller?.id, resuming: &resumed) }
            if !complete {
                for channel in state.channels.keys { state.rang(channel, except: caller?.id, resuming: &resumed) }
            }
            return caller.flatMap { state.channels[$0.channel]?.rings } ?? 0
        }
        for sleeper in resumed { sleeper.resume(.rang) }
        return rings
    }

    /// Whether a look begun at `ticket`'s ring count `rings` found its channel drained:
    /// nothing has rung since, so a look now would find nothing either.
    func isDrained(_ ticket: Ticket, at rings: UInt64) -> Bool {
        state.withLock { $0.channels[ticket.channel]?.drainedAt == rings }
    }

    /// Whether the last look of `channel` found it drained (rung since or not).
    package func lastLookDrained(_ channel: String) -> Bool {
        state.withLock { $0.channels[channel]?.drainedAt != nil }
    }

    /// Keeps what a look of `ticket`'s channel, begun at ring count `rings`, found out:
    /// drained, or not known to be.
    func note<T>(_ step: WaitStep<T>, of ticket: Ticket, at rings: UInt64) {
        let drained: UInt64? = if case .drained = step { rings } else { nil }
        state.withLock { state in
            if state.channels[ticket.channel]?.drainedAt != drained { state.channels[ticket.channel]?.drainedAt = drained }
        }
    }

    // MARK: Async waiters

    /// Sleeps until `ticket`'s channel rings past `seen`, the monotonic time `until`
    /// (ns) comes, or the task is cancelled. Holds no thread while it sleeps.
    func sleep(_ ticket: Ticket, seen: UInt64, until: UInt64) async -> Wake {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                var signalThread = false
                let now: Wake? = state.withLock { state in
                    if state.cancelled.contains(ticket.id) { return .cancelled }
                    if state.channels[ticket.channel]?.rings != seen { return .rang }
                    if until <= Deadline.monotonicNanoseconds() { return .timedOut }
                    state.sleepers[ticket.id] = Sleeper(channel: ticket.channel, until: until, continuation: continuation)
                    state.channels[ticket.channel]?.sleeping.insert(ticket.id)
                    if until < state.plannedWake {
                        state.plannedWake = until
                        signalThread = true
                    }
                    return nil
                }
                if let now { continuation.resume(returning: now) }
                if signalThread { control.signal() }
            }
        } onCancel: {
            cancel(ticket.id)
        }
    }

    private func cancel(_ id: UInt64) {
        let sleeper = state.withLock { state -> Sleeper? in
            state.cancelled.insert(id)
            guard let sleeper = state.sleepers.removeValue(forKey: id) else { return nil }
            state.channels[sleeper.channel]?.sleeping.remove(id)
            return sleeper
        }
        sleeper?.resume(.cancelled)
    }

    /// Starts the reactor thread unless it runs.
    private func startThread() throws(DQError) {
        let start = state.withLock { state in
            defer { state.threadStarted = true }
            return !state.threadStarted
        }
        guard start else { return }
        if !OSThread.startDetached({ [self] in run() }) {
            state.withLock { $0.threadStarted = false }
            throw DQError(.resourceExhausted, "cannot start the wait thread: out of threads")
        }
    }

    /// The reactor thread: sleeps on the source and the control descriptor until the
    /// next sleeper's deadline, then wakes whoever rang or ran out of time.
    private func run() {
        while true {
            let milliseconds = state.withLock { state -> Int32? in
                if state.stopping { return nil }
                let earliest = state.sleepers.values.lazy.map(\.until).min() ?? .max
                state.plannedWake = earliest
                if earliest == .max { return -1 }
                let now = Deadline.monotonicNanoseconds()
                return earliest <= now ? 0 : Int32(clamping: (earliest - now + 999_999) / 1_000_000)
            }
            guard let milliseconds else { return }
            _ = Poll.readable([source.descriptor, control.descriptor], milliseconds: milliseconds)
            control.clear()
            pump(for: nil)
            expire()
        }
    }

    /// Wakes the sleepers whose time is up.
    private func expire() {
        let now = Deadline.monotonicNanoseconds()
        let due = state.withLock { state -> [Sleeper] in
            var due: [Sleeper] = []
            for (id, sleeper) in state.sleepers where sleeper.until <= now {
                state.sleepers[id] = nil
                state.channels[sleeper.channel]?.sleeping.remove(id)
                due.append(sleeper)
            }
            return due
        }
        for sleeper in due { sleeper.resume(.timedOut) }
    }

    /// How many waiters are registered on `channel` now.
    package func waiterCount(on channel: String) -> Int {
        state.withLock { $0.channels[channel]?.waiters ?? 0 }
    }

    /// Ends the reactor thread (when the store closes).
    package func shutdown() {
        state.withLock { $0.stopping = true }
        control.signal()
    }
}

extension WaitReactor.State {
    // Each reaches a channel's record once, through optional chaining, and changes it
    // where it is stored: a copy taken out and put back would copy its tables on write.

    /// Counts waiter `id` in on `channel`; returns the channel's ring count.
    mutating func arrive(on channel: String, id: UInt64, wake: EventCounter?) -> UInt64 {
        if let rings = channels[channel]?.arrive(id, wake: wake) {
            if rings.wasIdle, let index = idle.firstIndex(of: channel) { idle.remove(at: index) }
            return rings.count
        }
        var entry = WaitReactor.Channel()
        let rings = entry.arrive(id, wake: wake)
        channels[channel] = entry
        return rings.count
    }

    /// Counts `ticket`'s waiter out; returns whether its channel became idle.
    mutating func depart(_ ticket: WaitReactor.Ticket) -> Bool {
        guard channels[ticket.channel]?.depart(ticket.id) == true else { return false }
        idle.append(ticket.channel)
        return true
    }

    /// Counts one ring of `channel` and wakes its waiters: signals the blocking ones
    /// (but `caller`), and adds the async ones' continuations to `resumed`.
    mutating func rang(_ channel: String, except caller: UInt64?,
                       resuming resumed: inout [WaitReactor.Sleeper]) {
        guard let asleep = channels[channel]?.ring(except: caller, signalled: &signalled) else { return }
        for id in asleep {
            if let sleeper = sleepers.removeValue(forKey: id) { resumed.append(sleeper) }
        }
    }
}

extension WaitReactor.Channel {
    /// Counts waiter `id` in; returns the ring count, and whether it had no waiter.
    mutating func arrive(_ id: UInt64, wake: EventCounter?) -> (count: UInt64, wasIdle: Bool) {
        waiters += 1
        if let wake { wakes.append((id, wake)) }
        return (rings, waiters == 1)
    }

    /// Counts waiter `id` out; returns whether none is left.
    mutating func depart(_ id: UInt64) -> Bool {
        wakes.removeAll { $0.id == id }
        waiters -= 1
        return waiters == 0
    }

    /// Counts a ring and signals the blocking waiters but `caller` (adding them to
    /// `signalled`); returns the async waiters asleep, who are no longer.
    mutating func ring(except caller: UInt64?, signalled: inout Set<UInt64>) -> Set<UInt64> {
        rings &+= 1
        for (id, wake) in wakes where id != caller {
            wake.signal()
            signalled.insert(id)
        }
        if sleeping.isEmpty { return [] }
        defer { sleeping = [] }
        return sleeping
    }
}
