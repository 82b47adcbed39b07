import FoundationEssentials

extension Queue {
    /// Async `receive(lease:...)`: sleeps without holding a thread (the store's wait
    /// reactor wakes it), and ends at once when the task is cancelled.
    ///
    /// For example:
    ///
    /// ```swift
    /// let leased = try await queue.receive(lease: .seconds(30), limit: 10)
    /// ```
    ///
    /// - Throws: `DQError` as for the blocking `receive`; `.cancelled` if the task is
    ///   cancelled while waiting (acks in `acking` are committed first either way).
    public func receive(lease: Duration, limit: Int = 1, timeout: Duration? = nil,
                        maxAttempts: Int = Queue.defaultMaxAttempts, acking: [Receipt] = [],
                        releaseOnExit: Bool = true) async throws(DQError) -> [LeasedMessage] {
        try Self.validate(lease: lease, limit: limit, maxAttempts: maxAttempts)
        return try await store.engine.receive(from: name, lease: lease, limit: limit, timeout: timeout,
                                              maxAttempts: maxAttempts, acking: acking, releaseOnExit: releaseOnExit)
    }

    /// Leased messages as they arrive, for `for try await`: each must be settled with
    /// `ack`, `nack` or `release`. The sequence ends only when the task is cancelled
    /// (by throwing `CancellationError`).
    ///
    /// For example:
    ///
    /// ```swift
    /// for try await leased in queue.leasedMessages(lease: .seconds(30)) {
    ///     try await handle(leased.message)
    ///     try queue.ack(leased.receipt)
    /// }
    /// ```
    public func leasedMessages(lease: Duration, maxAttempts: Int = Queue.defaultMaxAttempts) -> LeasedMessages {
        LeasedMessages(queue: self, lease: lease, maxAttempts: maxAttempts)
    }

    /// Runs `handler` on each message until the task is cancelled, `concurrency` at a
    /// time: returning acks the message, throwing hands it back for a retry after
    /// `backoff` (doubling per attempt, at most 5 minutes) and, after `maxAttempts`
    /// deliveries, to the dead letters. The lease is extended while `handler` runs.
    /// Messages whose handler was cancelled go back without counting the attempt.
    ///
    /// Each ack rides in the transaction that leases the slot's next message
    /// (`receive(lease:acking:)`), and commits before the slot waits for one: one commit
    /// per message. A message whose lease ran out while its handler ran (so it was
    /// delivered again) is reported to the store's logger, not thrown.
    ///
    /// For example, four jobs at a time until the task is cancelled:
    ///
    /// ```swift
    /// try await queue.work(concurrency: 4) { message in
    ///     try await resize(message.text ?? "")
    /// }
    /// ```
    ///
    /// - Throws: `CancellationError` when cancelled; `DQError` if the store fails
    ///   (`.invalidArgument` at once if `concurrency` is less than 1).
    public func work(lease: Duration = .seconds(30), concurrency: Int = 1,
                     maxAttempts: Int = Queue.defaultMaxAttempts, backoff: Duration = .seconds(1),
                     handler: @escaping @Sendable (Message) async throws -> Void) async throws {
        guard concurrency > 0 else { throw DQError(.invalidArgument, "concurrency must be at least 1") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    try await workSlot(lease: lease, maxAttempts: maxAttempts, backoff: backoff, handler: handler)
                }
            }
            try await group.waitForAll()
        }
    }

    /// One of `work`'s loops: lease (acking the previous message), handle, repeat.
    private func workSlot(lease: Duration, maxAttempts: Int, backoff: Duration,
                          handler: @escaping @Sendable (Message) async throws -> Void) async throws {
        var handled: Receipt?
        do {
            while true {
                var leased: LeasedMessage?
                if let receipt = handled {
                    // The ack commits now, in the transaction that leases the next message
                    // if one is there; only then comes a wait.
                    leased = try await receiveAcking(receipt, lease: lease, maxAttempts: maxAttempts)
                    handled = nil
                }
                if leased == nil {
                    leased = try await receive(lease: lease, timeout: nil, maxAttempts: maxAttempts).first
                }
                guard let leased else { continue }
                if try await handle(leased, lease: lease, maxAttempts: maxAttempts, backoff: backoff, handler: handler) {
                    handled = leased.receipt
                }
            }
        } catch {
            // Stopping (cancelled, or the store failed) before the last handled message's
            // ack committed: it gets it now.
            if let handled { _ = try? await offload { [self] () throws(DQError) in try ack(handled) } }
            throw error
        }
    }

    /// Acks `receipt` and leases the next message if one is there, in one transaction; a
    /// stale receipt is logged (its message was delivered again), not thrown.
    private func receiveAcking(_ receipt: Receipt, lease: Duration, maxAttempts: Int) async throws(DQError) -> LeasedMessage? {
        do {
            return try await receive(lease: lease, timeout: .zero, maxAttempts: maxAttempts, acking: [receipt]).first
        } catch where error.kind == .staleReceipt {
            logLostLease(receipt)
            return nil
        }
    }

    /// Runs `handler` on `leased`, extending the lease meanwhile. Returns `true` when
    /// the message is to be acked; a failed one is nacked with backoff here, and a
    /// cancelled one released (then this throws `CancellationError`).
    private func handle(_ leased: LeasedMessage, lease: Duration, maxAttempts: Int, backoff: Duration,
                        handler: @escaping @Sendable (Message) async throws -> Void) async throws -> Bool {
        let keeper = LeaseKeeper(queue: self, receipt: leased.receipt, lease: lease)
        let outcome: Result<Void, any Error>
        do {
            try await handler(leased.message)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        keeper.stop()
        switch outcome {
        case .success:
            return true
        case .failure(let error) where error is CancellationError || Task.isCancelled:
            _ = try? await offload { [self] () throws(DQError) in try settle(leased, .stopped, maxAttempts: maxAttempts, backoff: backoff) }
            throw CancellationError()
        case .failure:
            try await offload { [self] () throws(DQError) in
                _ = try settle(leased, .failed, maxAttempts: maxAttempts, backoff: backoff)
            }
            return false
        }
    }
}

public struct LeasedMessages: AsyncSequence, Sendable {
    /// Each element is one leased delivery.
    public typealias Element = LeasedMessage
    let queue: Queue
    let lease: Duration
    let maxAttempts: Int

    /// Leases the sequence's messages one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: Queue
        let lease: Duration
        let maxAttempts: Int

        /// Waits for and leases the next message; never returns `nil`. Throws
        /// `CancellationError` when the task is cancelled, or `DQError` if the store fails.
        public mutating func next() async throws -> LeasedMessage? {
            while true {
                if let leased = try await queue.receive(lease: lease, timeout: nil, maxAttempts: maxAttempts).first {
                    return leased
                }
            }
        }
    }

    /// An iterator that leases messages from the queue.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: queue, lease: lease, maxAttempts: maxAttempts)
    }
}
