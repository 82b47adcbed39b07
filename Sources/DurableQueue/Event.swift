/// A shared flag, like `multiprocessing.Event` but durable and between any processes:
/// set, clear, test, and wait until set (woken like a blocked `get`).
public struct Event: Sendable {
    public let store: Store
    public let name: String

    init(store: Store, name: String) {
        self.store = store
        self.name = name
    }

    private var channel: String { Store.channel("event", name) }

    public func set() throws(DQError) {
        try write(true)
        store.doorbells.ring(channel)
    }

    public func clear() throws(DQError) {
        try write(false)
    }

    public func isSet() throws(DQError) -> Bool {
        try store.read { connection in
            let read = try connection.cachedStatement("SELECT is_set FROM events WHERE name = ?1")
            defer { read.reset() }
            try read.bind(name, at: 1)
            return try read.step() && read.int64(at: 0) != 0
        }
    }

    /// Waits until the event is set. Returns `false` on timeout or interrupt.
    public func wait(timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Bool {
        try store.wait(on: channel, timeout: timeout, interrupt: interrupt) { () throws(DQError) -> Bool? in
            try isSet() ? true : nil
        } ?? false
    }

    private func write(_ value: Bool) throws(DQError) {
        try store.write { connection in
            let write = try connection.cachedStatement("""
                INSERT INTO events (name, is_set) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET is_set = excluded.is_set
                """)
            defer { write.reset() }
            try write.bind(name, at: 1)
            try write.bind(value ? 1 : 0, at: 2)
            try write.run()
        }
    }
}
