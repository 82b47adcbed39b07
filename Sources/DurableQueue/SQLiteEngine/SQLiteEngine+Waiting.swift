extension SQLiteEngine {
    /// The doorbell channel of a piece of shared state. Control characters cannot occur
    /// in queue names, so these never share a bell with a queue.
    static func channel(_ kind: String, _ name: String, _ key: String = "") -> String {
        "\u{1}" + kind + "\u{1}" + name + "\u{1}" + key
    }

    /// Blocks until `look` returns a value, `timeout` passes (`nil`: never), or
    /// `interrupt` is signalled; sleeps on `channel`'s doorbell in between, like a
    /// blocked `get`. Writers ring the channel after their commits.
    ///
    /// - Returns: `look`'s value, or `nil` on timeout or interrupt.
    func wait<T>(on channel: String, timeout: Duration?, interrupt: WaitInterrupt?,
                 look: () throws(DQError) -> T?) throws(DQError) -> T? {
        if timeout == .zero { return try look() }
        return try wait(on: channel, timeout: timeout, interrupt: interrupt) { _ throws(DQError) in
            try look().map { .done($0) } ?? .notYet(until: nil)
        }
    }

    /// The waiting loop of every blocking read (queues and shared state), following
    /// docs/ARCHITECTURE.md, "The wake-up protocol": watch and count before the first
    /// look, drain before every look. `look` is told whether the bell rang since the
    /// previous look, and says when to look again at the latest (µs since the epoch)
    /// besides the once-a-second safety re-check.
    ///
    /// - Returns: `look`'s value, or `nil` on timeout or interrupt.
    func wait<T>(on channel: String, timeout: Duration?, interrupt: WaitInterrupt?,
                 look: (_ rang: Bool) throws(DQError) -> WaitStep<T>) throws(DQError) -> T? {
        let deadline = Deadline.after(timeout)
        let watch = try waiters.take(queue: channel) { () throws(DQError) in try doorbells.bell(for: channel) }
        doorbells.willWait(on: channel)
        defer {
            doorbells.doneWaiting(on: channel)
            waiters.putBack(watch, queue: channel)
        }
        var rang = false
        while true {
            if watch.drain() { rang = true }
            let step = try look(rang)
            var pause = WaitPolicy.safetyRecheck
            switch step {
            case .done(let value): return value
            case .notYet(let due?): pause = min(pause, .microseconds(max(0, due - Timestamp.now())))
            case .notYet(nil): break
            }
            if let deadline {
                if deadline.hasPassed { return nil }
                pause = min(pause, deadline.remaining)
            }
            switch watch.wait(timeout: pause, interrupt: interrupt?.fileDescriptor) {
            case .interrupted: return nil
            case .rang: rang = true
            case .timedOut: rang = false
            }
        }
    }
}

/// What one look of a waiting reader found: its result, or not yet (and when something
/// falls due, if anything does).
enum WaitStep<T> {
    case done(T)
    case notYet(until: Int64?)
}
