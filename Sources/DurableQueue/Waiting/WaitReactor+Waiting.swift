import DQSystem

/// How blocked readers wait: on their channel's rings, re-checking the store after
/// every ring, and at least this often even without one, as a backstop.
package enum WaitPolicy {
    package static let safetyRecheck: Duration = .seconds(1)
}

/// What one look of a waiting reader found: its result, or not yet (and when something
/// falls due, if anything does: µs since the epoch).
package enum WaitStep<T> {
    case done(T)
    case notYet(until: Int64?)
}

extension WaitReactor {
    /// The waiting loop of every blocking read (queues and shared state): calls `look`
    /// until it is done, sleeping in between until `channel` rings, something falls
    /// due, the safety re-check comes, `timeout` passes (`nil`: never), or `interrupt`
    /// is signalled. `look` is told whether the channel rang since the previous look.
    ///
    /// The calling thread sleeps in `poll` on the source itself (see the type).
    ///
    /// - Returns: `look`'s value, or `nil` on timeout or interrupt.
    package func wait<T>(on channel: String, timeout: Duration?, interrupt: WaitInterrupt?,
                 look: (_ rang: Bool) throws(DQError) -> WaitStep<T>) throws(DQError) -> T? {
        let deadline = Deadline.after(timeout)
        let ticket = try enter(channel, blocking: true)
        defer { leave(ticket) }
        guard let wake = ticket.wake else { return nil }
        var descriptors = [sourceDescriptor, wake.descriptor]
        if let interrupt { descriptors.append(FileDescriptor(rawValue: interrupt.fileDescriptor)) }
        var seen = ticket.seen
        var rings = pump(for: ticket)
        while true {
            let step = try look(rings != seen)
            seen = rings
            guard let wakeAt = Self.nextLook(after: step, deadline: deadline) else {
                if case .done(let value) = step { return value }
                return nil
            }
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
        }
    }

    /// The async waiting loop: as the blocking `wait`, but sleeping without a thread
    /// (`sleep`) and ending at once with `DQError.Kind.cancelled` when the task is
    /// cancelled. `look` runs on the calling task.
    ///
    /// - Returns: `look`'s value, or `nil` on timeout.
    package func wait<T>(on channel: String, timeout: Duration?,
                 look: (_ rang: Bool) throws(DQError) -> WaitStep<T>) async throws(DQError) -> T? {
        if Task.isCancelled { throw DQError.cancelledWait }
        let deadline = Deadline.after(timeout)
        let ticket = try enter(channel, blocking: false)
        defer { leave(ticket) }
        var seen = ticket.seen
        while true {
            let rings = pump(for: ticket)
            let step = try look(rings != seen)
            seen = rings
            guard let wakeAt = Self.nextLook(after: step, deadline: deadline) else {
                if case .done(let value) = step { return value }
                return nil
            }
            if await sleep(ticket, seen: seen, until: wakeAt) == .cancelled { throw DQError.cancelledWait }
        }
    }

    /// When to look again after `step` (monotonic ns): at the next due time, the
    /// safety re-check or the deadline, whichever is first; `nil` when done or when the
    /// deadline has passed.
    private static func nextLook<T>(after step: WaitStep<T>, deadline: Deadline?) -> UInt64? {
        var pause = WaitPolicy.safetyRecheck
        switch step {
        case .done: return nil
        case .notYet(let due?): pause = min(pause, .microseconds(max(0, due - Timestamp.now())))
        case .notYet(nil): break
        }
        let now = Deadline.monotonicNanoseconds()
        var wakeAt = now + UInt64(Timestamp.microseconds(pause)) * 1_000
        if let deadline {
            if deadline.hasPassed { return nil }
            wakeAt = min(wakeAt, deadline.nanoseconds)
        }
        return wakeAt
    }
}

extension DQError {
    /// An async wait whose task was cancelled: it took nothing.
    static var cancelledWait: DQError { DQError(.cancelled, "the wait was cancelled") }
}
