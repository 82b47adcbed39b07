extension Store {
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
        let deadline = Deadline.after(timeout)
        // The watch is set before the first look, so a change after it still wakes us.
        let watch = try waiters.take(queue: channel) { () throws(DQError) in try doorbells.bell(for: channel) }
        doorbells.willWait(on: channel)
        defer {
            doorbells.doneWaiting(on: channel)
            waiters.putBack(watch, queue: channel)
        }
        while true {
            watch.drain()
            if let value = try look() { return value }
            var pause = WaitPolicy.safetyRecheck
            if let deadline {
                if deadline.hasPassed { return nil }
                pause = min(pause, deadline.remaining)
            }
            if watch.wait(timeout: pause, interrupt: interrupt?.fileDescriptor) == .interrupted { return nil }
        }
    }
}
