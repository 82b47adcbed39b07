import FoundationEssentials

/// Request/reply: `call` puts a request that names a reply address of the caller and
/// waits for the reply there; a responder (`respond`, `dq worker`) acks the request and
/// puts the reply in one transaction. A reply address is a queue of its own
/// (`ReplyAddress`), so it costs nothing once its reply is taken, and replies to a caller
/// whose process ended are deleted with its leases.
extension Queue {
    /// Puts `body` as a request and waits up to `timeout` for its reply, which is taken
    /// (at most once) when it arrives. The wait sleeps until woken, as `get` does.
    ///
    /// For example:
    ///
    /// ```swift
    /// if let reply = try queue.call(Data("resize cat.png".utf8), timeout: .seconds(30)) {
    ///     print(reply.status, reply.text ?? "")
    /// }
    /// ```
    ///
    /// - Returns: the reply, or `nil` if none came within `timeout` (`nil`: wait as long
    ///   as it takes) or `interrupt` was signalled. A reply that comes later is deleted
    ///   when this process ends, at the latest.
    /// - Throws: `DQError` as `put` and `get` do; nothing was put if `put` failed.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func call(_ body: Data, timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Reply? {
        let address = try sendRequest(body)
        return try store.engine.get(from: address, limit: 1, timeout: timeout, interrupt: interrupt).first
            .map { Reply(stored: $0.body) }
    }

    /// `call(_:timeout:interrupt:)` with `text` as UTF-8 bytes.
    ///
    /// For example:
    ///
    /// ```swift
    /// let reply = try queue.call("ping", timeout: .seconds(5))
    /// ```
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    public func call(_ text: String, timeout: Duration? = nil, interrupt: WaitInterrupt? = nil) throws(DQError) -> Reply? {
        try call(Data(text.utf8), timeout: timeout, interrupt: interrupt)
    }

    /// Async `call(_:timeout:interrupt:)`: sleeps without holding a thread.
    ///
    /// For example:
    ///
    /// ```swift
    /// let reply = try await queue.call(Data("ping".utf8), timeout: .seconds(5))
    /// ```
    ///
    /// - Throws: `DQError`; `.cancelled` if the task is cancelled while it waits (a reply
    ///   that comes later is deleted when this process ends, at the latest).
    public func call(_ body: Data, timeout: Duration? = nil) async throws(DQError) -> Reply? {
        let address = try sendRequest(body)
        return try await store.engine.get(from: address, limit: 1, timeout: timeout).first.map { Reply(stored: $0.body) }
    }

    /// Puts `body` as a request with a new reply address of this process; returns it.
    private func sendRequest(_ body: Data) throws(DQError) -> String {
        var request = OutgoingMessage(body)
        request.replyTo = try store.engine.replyAddress()
        try put(contentsOf: [request])
        return request.replyTo!
    }

    /// Settles a leased request with `reply`: acks it and puts the reply for its caller,
    /// in one transaction. A message that asks for no reply is only acked; a caller whose
    /// process has ended gets none.
    ///
    /// For example:
    ///
    /// ```swift
    /// for leased in try queue.receive(lease: .seconds(30), limit: 10) {
    ///     try queue.reply(Reply("done"), to: leased)
    /// }
    /// ```
    ///
    /// - Throws: `DQError.Kind.staleReceipt` if the lease ran out and the request was
    ///   delivered again (nothing is done: the new delivery replies); `.invalidArgument`
    ///   for a status outside 0…255.
    public func reply(_ reply: Reply, to leased: LeasedMessage) throws(DQError) {
        try reply.validate()
        guard let address = leased.message.replyTo else { return try ack(leased.receipt) }
        if !(try store.engine.reply(reply, to: address, acking: leased.receipt, on: name)) { throw unsettled(leased.receipt) }
    }

    /// Answers one request: leases the next message (waiting up to `timeout`), runs
    /// `handler` on it while its lease is extended, and settles it with the reply
    /// (`reply(_:to:)`). A handler that throws hands the request back for a retry after
    /// `backoff` (doubling per attempt), and after `maxAttempts` deliveries to the dead
    /// letters; its caller goes on waiting meanwhile.
    ///
    /// For example, a responder that answers until its process is stopped:
    ///
    /// ```swift
    /// while true {
    ///     try queue.respond { request in Reply("hello, \(request.text ?? "")") }
    /// }
    /// ```
    ///
    /// - Returns: `false` if no message came within `timeout` or `interrupt` was signalled.
    /// - Throws: `DQError` if the store fails; a handler's own errors are not thrown.
    @available(*, noasync, message: "blocks its thread while it waits; use the async overload")
    @discardableResult
    public func respond(lease: Duration = .seconds(30), maxAttempts: Int = Queue.defaultMaxAttempts,
                        backoff: Duration = .seconds(1), timeout: Duration? = nil, interrupt: WaitInterrupt? = nil,
                        handler: (Message) throws -> Reply) throws(DQError) -> Bool {
        guard let leased = try receive(lease: lease, timeout: timeout, maxAttempts: maxAttempts, interrupt: interrupt).first else {
            return false
        }
        let keeper = LeaseKeeper(queue: self, receipt: leased.receipt, lease: lease)
        let answer = Result { try handler(leased.message) }
        keeper.stop()
        try settle(leased, answer, maxAttempts: maxAttempts, backoff: backoff)
        return true
    }

    /// Async `respond`: answers requests `concurrency` at a time until the task is
    /// cancelled, then returns. A request whose handler was running when the task was
    /// cancelled goes back to the queue without counting the attempt.
    ///
    /// For example:
    ///
    /// ```swift
    /// try await queue.respond(concurrency: 4) { request in
    ///     Reply(try await render(request.body))
    /// }
    /// ```
    ///
    /// - Throws: `DQError` if the store fails; `.invalidArgument` if `concurrency` is less
    ///   than 1. A handler's own errors are not thrown: they retry the request.
    public func respond(lease: Duration = .seconds(30), concurrency: Int = 1, maxAttempts: Int = Queue.defaultMaxAttempts,
                        backoff: Duration = .seconds(1),
                        handler: @escaping @Sendable (Message) async throws -> Reply) async throws(DQError) {
        guard concurrency > 0 else { throw DQError(.invalidArgument, "concurrency must be at least 1") }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        try await respondSlot(lease: lease, maxAttempts: maxAttempts, backoff: backoff, handler: handler)
                    }
                }
                try await group.waitForAll()
            }
        } catch let error as DQError {
            throw error
        } catch {
            throw DQError(.internalError, "respond: \(error)")
        }
    }

    /// One of async `respond`'s loops.
    private func respondSlot(lease: Duration, maxAttempts: Int, backoff: Duration,
                             handler: @escaping @Sendable (Message) async throws -> Reply) async throws(DQError) {
        while !Task.isCancelled {
            let leased: LeasedMessage
            do {
                guard let next = try await receive(lease: lease, timeout: nil, maxAttempts: maxAttempts).first else { continue }
                leased = next
            } catch where error.kind == .cancelled {
                return
            }
            let keeper = LeaseKeeper(queue: self, receipt: leased.receipt, lease: lease)
            let answer: Result<Reply, any Error>
            do { answer = .success(try await handler(leased.message)) } catch { answer = .failure(error) }
            keeper.stop()
            if case .failure = answer, Task.isCancelled {
                try settle(leased, .stopped, maxAttempts: maxAttempts, backoff: backoff)
                return
            }
            try settle(leased, answer, maxAttempts: maxAttempts, backoff: backoff)
        }
    }

    /// Settles a request with its handler's answer: the reply, or a retry for an error
    /// (logged as `work` logs it).
    private func settle(_ leased: LeasedMessage, _ answer: Result<Reply, any Error>, maxAttempts: Int,
                        backoff: Duration) throws(DQError) {
        switch answer {
        case .success(let reply):
            do {
                try self.reply(reply, to: leased)
            } catch where error.kind == .staleReceipt {
                logLostLease(leased.receipt)
            }
        case .failure(let error):
            store.logger.warning("request handler failed; the request will be retried",
                                 metadata: ["queue": "\(name)", "message_id": "\(leased.message.id)",
                                            "attempt": "\(leased.message.attempt)", "error": "\(error)"])
            try settle(leased, .failed, maxAttempts: maxAttempts, backoff: backoff, failure: DeliveryFailure(thrown: error))
        }
    }
}
