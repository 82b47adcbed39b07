extension SQLiteEngine {
    /// The doorbell channel of a piece of shared state (`WaitSubject.channel(_:_:_:)`).
    static func channel(_ kind: String, _ name: String, _ key: String = "") -> String {
        WaitSubject.channel(kind, name, key)
    }

    /// This store's wait reactor, made at the first wait: one inotify instance watching
    /// the doorbells (`DoorbellWatches`) for every waiter of the process.
    func reactor() throws(DQError) -> WaitReactor {
        // A wait needs the side files, which a store open read-only does not touch.
        try refuseIfReadOnly("wait on")
        return try reactorSlot.withLock { slot throws(DQError) -> WaitReactor in
            if let reactor = slot { return reactor }
            let reactor = try WaitReactor(source: DoorbellWatches(doorbells: doorbells))
            slot = reactor
            return reactor
        }
    }

    /// How many readers of this process wait on `channel` now (0 before any wait).
    func waiterCount(on channel: String) -> Int {
        reactorSlot.withLock { $0?.waiterCount(on: channel) ?? 0 }
    }

    /// Blocks until `look` returns a value, `timeout` passes (`nil`: never), or
    /// `interrupt` is signalled; sleeps on `channel`'s doorbell in between, like a
    /// blocked `get`. Writers ring the channel after their commits.
    ///
    /// - Returns: `look`'s value, or `nil` on timeout or interrupt.
    func wait<T>(on channel: String, timeout: Duration?, interrupt: WaitInterrupt?,
                 look: () throws(DQError) -> T?) throws(DQError) -> T? {
        if timeout == .zero { return try look() }
        return try reactor().wait(on: channel, timeout: timeout, interrupt: interrupt) { _ throws(DQError) in
            try look().map { .done($0) } ?? .notYet(until: nil)
        }
    }

    /// The async `wait(on:timeout:interrupt:look:)`: holds no thread while it sleeps,
    /// and throws `DQError.Kind.cancelled` when the task is cancelled.
    func wait<T>(on channel: String, timeout: Duration?, look: () throws(DQError) -> T?) async throws(DQError) -> T? {
        if timeout == .zero { return try look() }
        return try await reactor().wait(on: channel, timeout: timeout) { _ throws(DQError) in
            try look().map { .done($0) } ?? .notYet(until: nil)
        }
    }
}
