import DQSystem

/// How blocked readers wait: on their channel's rings, re-checking the store after
/// every ring, and at least this often even without one, as a backstop.
package enum WaitPolicy {
    package static let safetyRecheck: Duration = .seconds(1)
    /// The longest sleep without a look of a waiter whose source re-checks for it (a
    /// PostgreSQL queue waiter, whose connection probes every second): a backstop only.
    package static let probedBackstop: Duration = .seconds(10)
}

/// Who makes a waiter's safety re-check.
package enum WaitRechecks: Sendable {
    /// The waiter: it looks at least every `WaitPolicy.safetyRecheck`, and once more at
    /// its deadline.
    case byLooking
    /// Its source, which rings the channel when something may be there without a ring
    /// (PostgreSQL's `WaitProbe`, every second): the waiter looks when rung, at a due
    /// time or at `WaitPolicy.probedBackstop`, and at its deadline returns without a look
    /// unless rung.
    case bySource
}

/// What one look of a waiting reader found: its result, or not yet (and when something
/// falls due, if anything does: µs since the epoch).
package enum WaitStep<T> {
    case done(T)
    case notYet(until: Int64?)
    /// The channel holds nothing more for any reader, with what this look took (`nil`:
    /// nothing, not yet). Until the channel rings again, the next wait on it sleeps
    /// before its first look. Only for sources whose writers ring on every write,
    /// whether anyone waits or not (PostgreSQL's `NOTIFY`; not SQLite's doorbells).
    case drained(T?)

    /// What the look took, if it is done.
    package var value: T? {
        switch self {
        case .done(let value): value
        case .drained(let value): value
        case .notYet: nil
        }
    }
}

extension WaitReactor {
    /// The waiting loop of every blocking read (queues and shared state): calls `look`
    /// until it is done, sleeping in between until `channel` rings, something falls
    /// due, the safety re-check comes (see `rechecks`), `timeout` passes (`nil`: never),
    /// or `interrupt` is signalled. `look` is told whether the channel rang since the
    /// previous look.
    ///
    /// The calling thread sleeps in `poll` on the source itself (see the type).
    ///
    /// - Returns: `look`'s value, or `nil` on timeout or interrupt.
    package func wait<T>(on channel: String, timeout: Duration?, interrupt: WaitInterrupt?,
                         rechecks: WaitRechecks = .byLooking,
                         look: (_ rang: Bool) throws(DQError) -> WaitStep<T>) throws(DQError) -> T? {
        let deadline = Deadline.after(timeout)
        let ticket = try enter(channel, blocking: true)
        defer { leave(ticket) }
        guard let wake = ticket.wake else { return nil }
        var descriptors = [sourceDescriptor, wake.descriptor]
        if let interrupt { descriptors.append(FileDescriptor(rawValue: interrupt.fileDescriptor)) }
        var seen = ticket.seen
        var rings = pump(for: ticket)
        var skip = isDrained(ticket, at: rings)
        while true {
            let step = skip ? .notYet(until: nil) : try look(rings != seen)
            if !skip { note(step, of: ticket, at: rings) }
            skip = false
            seen = rings
            guard let wakeAt = Self.nextLook(after: step, deadline: deadline, rechecks: rechecks) else { return step.value }
            // Sleep until rung or `wakeAt`; a wake-up for another channel (the source is
            // shared) goes back to sleep without a look.
            while true {
                let now = Deadline.monotonicNanoseconds()
                if now >= wakeAt { break }
                let milliseconds = Int32(clamping: (wakeAt - now + 999_999) / 1_000_000)
                let ready = Poll.readable(descriptors, milliseconds: milliseconds)
                if ready.count > 2 && ready[2] { return nil }
                if ready[1] { wake.clear() }
                rings = pump(for: ticket)
                if rings != seen { break }
            }
            if rings == seen { rings = pump(for: ticket) }
            if rings == seen && Self.endsUnrung(at: wakeAt, deadline: deadline, rechecks: rechecks) { return nil }
        }
    }

    /// The async waiting loop: as the blocking `wait`, but sleeping without a thread
    /// (`sleep`) and ending at once with `DQError.Kind.cancelled` when the task is
    /// cancelled. `look` runs on the calling task.
    ///
    /// - Returns: `look`'s value, or `nil` on timeout.
    package func wait<T>(on channel: String, timeout: Duration?, rechecks: WaitRechecks = .byLooking,
                         look: (_ rang: Bool) throws(DQError) -> WaitStep<T>) async throws(DQError) -> T? {
        if Task.isCancelled { throw DQError.cancelledWait }
        let deadline = Deadline.after(timeout)
        let ticket = try enter(channel, blocking: false)
        defer { leave(ticket) }
        var seen = ticket.seen
        var first = true
        while true {
            let rings = pump(for: ticket)
            let skip = first && isDrained(ticket, at: rings)
            first = false
            let step = skip ? .notYet(until: nil) : try look(rings != seen)
            if !skip { note(step, of: ticket, at: rings) }
            seen = rings
            guard let wakeAt = Self.nextLook(after: step, deadline: deadline, rechecks: rechecks) else { return step.value }
            switch await sleep(ticket, seen: seen, until: wakeAt) {
            case .cancelled: throw DQError.cancelledWait
            case .timedOut where Self.endsUnrung(at: wakeAt, deadline: deadline, rechecks: rechecks):
                if pump(for: ticket) == seen { return nil }
            case .timedOut, .rang: break
            }
        }
    }

    /// When to look again after `step` (monotonic ns): at the next due time, the
    /// safety re-check or the deadline, whichever is first; `nil` when done or when the
    /// deadline has passed.
    private static func nextLook<T>(after step: WaitStep<T>, deadline: Deadline?, rechecks: WaitRechecks) -> UInt64? {
        var pause = rechecks == .byLooking ? WaitPolicy.safetyRecheck : WaitPolicy.probedBackstop
        switch step {
        case .done, .drained(.some): return nil
        case .notYet(let due?): pause = min(pause, .microseconds(max(0, due - Timestamp.now())))
        case .notYet(nil), .drained(nil): break
        }
        let now = Deadline.monotonicNanoseconds()
        var wakeAt = now + UInt64(Timestamp.microseconds(pause)) * 1_000
        if let deadline {
            if deadline.hasPassed { return nil }
            wakeAt = min(wakeAt, deadline.nanoseconds)
        }
        return wakeAt
    }

    /// Whether a waiter whose source re-checks for it, woken at `wakeAt` without a ring,
    /// is done: `wakeAt` was its deadline.
    private static func endsUnrung(at wakeAt: UInt64, deadline: Deadline?, rechecks: WaitRechecks) -> Bool {
        guard rechecks == .bySource, let deadline else { return false }
        return wakeAt == deadline.nanoseconds && deadline.hasPassed
    }
}

extension DQError {
    /// An async wait whose task was cancelled: it took nothing.
    static var cancelledWait: DQError { DQError(.cancelled, "the wait was cancelled") }
}
