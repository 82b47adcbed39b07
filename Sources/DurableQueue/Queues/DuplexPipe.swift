import FoundationEssentials

/// A named two-way channel, like `multiprocessing.Pipe()` but durable and between any
/// processes: each end sends to the other and receives what the other sent, in order.
/// Built on two queues (one per direction), so messages wait on disk until received.
///
/// For example, a parent and a child:
///
/// ```swift
/// let parent = try store.pipe("chat", end: .first)   // in one process
/// let child = try store.pipe("chat", end: .second)   // in another
/// try parent.send("ping")
/// let message = try child.receive(timeout: .seconds(5))
/// ```
public enum DuplexPipe {
    /// Which end of the pipe; each process picks one.
    ///
    /// For example:
    ///
    /// ```swift
    /// let end = try store.pipe("chat", end: isParent ? .first : .second)
    /// ```
    public enum Side: String, Sendable, CaseIterable {
        /// One end: receives what `second` sends.
        case first
        /// The other end: receives what `first` sends.
        case second

        var other: Side { self == .first ? .second : .first }
    }

    /// One end of a pipe: sends to the other end and receives from it. `Sendable`;
    /// several processes or threads may share an end, and each message is received once.
    ///
    /// For example:
    ///
    /// ```swift
    /// let end = try store.pipe("chat", end: .second)
    /// if let request = try end.receive(timeout: .seconds(5)) {
    ///     try end.send("re: " + (request.text ?? ""))
    /// }
    /// ```
    public struct End: Sendable {
        /// The pipe's name, as given to `Store.pipe(_:end:)`.
        public let name: String
        /// Which end this is.
        public let side: Side
        let outgoing: Queue
        let incoming: Queue

        init(store: Store, name: String, side: Side) {
            self.name = name
            self.side = side
            outgoing = Queue(store: store, name: DuplexPipe.queueName(name, to: side.other))
            incoming = Queue(store: store, name: DuplexPipe.queueName(name, to: side))
        }

        /// Sends `body` to the other end (committed before this returns).
        ///
        /// It waits in the store until the other end receives it, even if no process
        /// holds that end yet.
        ///
        /// For example:
        ///
        /// ```swift
        /// try end.send(Data([1, 2, 3]))
        /// ```
        ///
        /// - Throws: `DQError` as for `Queue.put(_:priority:delay:key:)`.
        public func send(_ body: Data) throws(DQError) {
            try outgoing.put(body)
        }

        /// Sends `bodies` to the other end in order, in one transaction.
        ///
        /// For example:
        ///
        /// ```swift
        /// try end.send(contentsOf: [Data("a".utf8), Data("b".utf8)])
        /// ```
        ///
        /// - Throws: `DQError` as for `Queue.put(contentsOf:progress:)` (nothing is sent).
        public func send(contentsOf bodies: [Data]) throws(DQError) {
            _ = try outgoing.put(contentsOf: bodies.map { OutgoingMessage($0) })
        }

        /// Sends `text` as UTF-8 to the other end (committed before this returns).
        ///
        /// For example:
        ///
        /// ```swift
        /// try end.send("ping")
        /// ```
        ///
        /// - Throws: `DQError` as for `Queue.put(_:priority:delay:key:)`.
        public func send(_ text: String) throws(DQError) {
            try outgoing.put(text)
        }

        /// Receives the next message the other end sent, waiting up to `timeout`
        /// (`nil`: forever); `nil` if none came in time or `interrupt` was signalled.
        ///
        /// The message is removed as it is returned (at-most-once, like `Queue.get`).
        ///
        /// For example:
        ///
        /// ```swift
        /// let reply = try end.receive(timeout: .seconds(5))?.text
        /// ```
        ///
        /// - Throws: `DQError` as for `Queue.get(timeout:)`.
        @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
        public func receive(timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Message? {
            try incoming.get(limit: 1, timeout: timeout, interrupt: interrupt).first
        }

        /// Async `receive`: sleeps without holding a thread; ends at once when the task
        /// is cancelled.
        ///
        /// For example:
        ///
        /// ```swift
        /// let reply = try await end.receive(timeout: .seconds(5))
        /// ```
        ///
        /// - Throws: `DQError`; `.cancelled` if the task is cancelled while waiting.
        public func receive(timeout: Duration? = nil) async throws(DQError) -> Message? {
            try await incoming.get(timeout: timeout)
        }

        /// Deletes every message still in the pipe, in both directions; returns how many.
        ///
        /// For example:
        ///
        /// ```swift
        /// let dropped = try store.pipe("chat", end: .first).drop()
        /// ```
        ///
        /// - Throws: `DQError` as for `Queue.drop()`.
        @discardableResult
        public func drop() throws(DQError) -> Int {
            try outgoing.drop() + incoming.drop()
        }
    }

    /// Whether `queue` is one of the hidden queues that carry pipes' messages.
    public static func isPipeQueue(_ queue: String) -> Bool {
        queue.hasPrefix("\u{1}pipe\u{1}")
    }

    /// The queue carrying messages toward `side`. The control characters keep it apart
    /// from every queue a user can name.
    static func queueName(_ pipe: String, to side: Side) -> String {
        "\u{1}pipe\u{1}" + pipe + "\u{1}to-" + side.rawValue
    }
}

extension Store {
    /// End `end` of the pipe called `name` (1–200 bytes of UTF-8, no control characters).
    ///
    /// Nothing is written; the pipe's messages live in two hidden queues.
    ///
    /// For example:
    ///
    /// ```swift
    /// let parent = try store.pipe("chat", end: .first)
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument` for a bad name.
    public func pipe(_ name: String, end: DuplexPipe.Side) throws(DQError) -> DuplexPipe.End {
        try Names.validate(name, what: "pipe name")
        return DuplexPipe.End(store: self, name: name, side: end)
    }
}
