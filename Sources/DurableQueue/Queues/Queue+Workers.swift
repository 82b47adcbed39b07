import FoundationEssentials
import Logging

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
                        releaseOnExit: Bool = true, limits: WorkLimits? = nil) async throws(DQError) -> [LeasedMessage] {
        try Self.validate(lease: lease, limit: limit, maxAttempts: maxAttempts)
        try limits?.validate()
        return try await store.engine.receive(from: name, lease: lease, limit: limit, timeout: timeout,
                                              maxAttempts: maxAttempts, acking: acking, releaseOnExit: releaseOnExit,
                                              limits: limits?.isEmpty == false ? limits : nil)
    }

    /// Leased messages as they arrive, for `for try await`: each must be settled with
    /// `ack`, `nack` or `release`. The sequence ends when the task is cancelled.
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
    /// deliveries, to the dead letters. Throwing `WorkRejection` settles the message at
    /// once instead: `.deadLetter` buries it, `.drop` removes it. The lease is extended
    /// while `handler` runs.
    ///
    /// Cancelling the task shuts the loop down gracefully, and `work` then returns
    /// normally: it takes no new message, lets the handlers already running finish within
    /// `shutdownGrace`, then cancels those still running; a message whose handler was
    /// cancelled goes back to the queue without counting the attempt. Handlers run in
    /// tasks of their own for this (with the task's task-local values), so its
    /// cancellation reaches them only when the grace period ends; a handler that ignores its
    /// cancellation keeps `work` from returning. Under swift-service-lifecycle, run it in
    /// `cancelWhenGracefulShutdown { … }`: SIGTERM then drains it.
    ///
    /// Each ack rides in the transaction that leases the slot's next message
    /// (`receive(lease:acking:)`), and commits before the slot waits for one: one commit
    /// per message. Every handler that throws is logged to the store's logger with the
    /// metadata `queue`, `message_id`, `attempt` and `error`: at warning, or at error when
    /// the message goes to the dead letters. A message whose lease ran out while its
    /// handler ran (so it was delivered again) is also logged, not thrown.
    ///
    /// For example, four jobs at a time until the task is cancelled:
    ///
    /// ```swift
    /// try await queue.work(concurrency: 4) { message in
    ///     try await resize(message.text ?? "")
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - lease: how long a message stays hidden from other consumers, extended while its
    ///     handler runs.
    ///   - concurrency: how many handlers run at once.
    ///   - maxAttempts: deliveries after which a failing message goes to the dead letters.
    ///   - backoff: the pause before the first retry; it doubles per attempt.
    ///   - shutdownGrace: how long running handlers may take to finish once the task is
    ///     cancelled (10 s, as `dq worker --grace`); `.zero` cancels them at once.
    ///   - limits: a running limit and a rate that hold across every consumer of the queue
    ///     giving them, in every process (`WorkLimits`): this loop leases only within them.
    ///   - firesSchedules: whether this loop also fires the store's due schedules
    ///     (`Store.fireSchedules()`), as every `dq worker` does.
    ///   - handler: handles one message; it may run on any thread.
    /// - Throws: `DQError` if the store fails (after cancelling the running handlers and
    ///   settling their messages); `.invalidArgument` at once if `concurrency` is less
    ///   than 1 or `shutdownGrace` is negative. Never `CancellationError`.
    public func work(lease: Duration = .seconds(30), concurrency: Int = 1,
                     maxAttempts: Int = Queue.defaultMaxAttempts, backoff: Duration = .seconds(1),
                     shutdownGrace: Duration = .seconds(10), limits: WorkLimits? = nil, firesSchedules: Bool = true,
                     handler: @escaping @Sendable (Message) async throws -> Void) async throws(DQError) {
        guard concurrency > 0 else { throw DQError(.invalidArgument, "concurrency must be at least 1") }
        try limits?.validate()
        guard shutdownGrace >= .zero else { throw DQError(.invalidArgument, "the shutdown grace must not be negative") }
        let handlers = HandlerTasks()
        // By the time the slots have ended no handler runs: this only stops a grace timer.
        defer { handlers.cancelAll() }
        do {
            try await runSlots(concurrency, lease: lease, maxAttempts: maxAttempts, backoff: backoff,
                               shutdownGrace: shutdownGrace, limits: limits, firesSchedules: firesSchedules,
                               handlers: handlers, handler: handler)
        } catch let error as DQError {
            throw error
        } catch {
            // The slots throw nothing else.
            throw DQError(.internalError, "work: \(error)")
        }
    }

    /// `work`'s slots in a task group, their handlers given `shutdownGrace` once the task
    /// is cancelled; with `firesSchedules`, the store's schedules fired in the group too.
    private func runSlots(_ concurrency: Int, lease: Duration, maxAttempts: Int, backoff: Duration,
                          shutdownGrace: Duration, limits: WorkLimits?, firesSchedules: Bool, handlers: HandlerTasks,
                          handler: @escaping @Sendable (Message) async throws -> Void) async throws {
        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                if firesSchedules {
                    group.addTask { [store] in try await store.fireSchedules() }
                }
                for _ in 0..<concurrency {
                    group.addTask {
                        try await workSlot(lease: lease, maxAttempts: maxAttempts, backoff: backoff, limits: limits,
                                           handlers: handlers, handler: handler)
                    }
                }
                do {
                    while try await group.next() != nil {}
                } catch {
                    // The store failed: the other slots and their handlers stop now.
                    group.cancelAll()
                    handlers.cancelAll()
                    throw error
                }
            }
        } onCancel: {
            handlers.cancel(after: shutdownGrace)
        }
    }

    /// One of `work`'s loops: lease (acking the previous message), handle, repeat, until
    /// the task is cancelled; then it acks the last message it handled and returns.
    private func workSlot(lease: Duration, maxAttempts: Int, backoff: Duration, limits: WorkLimits?, handlers: HandlerTasks,
                          handler: @escaping @Sendable (Message) async throws -> Void) async throws(DQError) {
        var handled: Receipt?
        var failure: DQError?
        do {
            while !Task.isCancelled {
                var leased: LeasedMessage?
                if let receipt = handled {
                    // The ack commits now, in the transaction that leases the next message
                    // if one is there; only then comes a wait.
                    leased = try await receiveAcking(receipt, lease: lease, maxAttempts: maxAttempts, limits: limits)
                    handled = nil
                }
                if leased == nil {
                    leased = try await receive(lease: lease, timeout: nil, maxAttempts: maxAttempts, limits: limits).first
                }
                guard let leased else { continue }
                if Task.isCancelled {
                    // Leased as the shutdown began: back at once, the attempt not counted.
                    _ = try settle(leased, .stopped, maxAttempts: maxAttempts, backoff: backoff)
                    break
                }
                if try await handle(leased, lease: lease, maxAttempts: maxAttempts, backoff: backoff, handlers: handlers,
                                    handler: handler) {
                    handled = leased.receipt
                }
            }
        } catch where error.kind != .cancelled {
            failure = error
        } catch {}
        // Stopping (cancelled, or the store failed) before the last handled message's ack
        // committed: it gets it now.
        if let handled { try? ack(handled) }
        if let failure { throw failure }
    }

    /// Acks `receipt` and leases the next message if one is there, in one transaction; a
    /// stale receipt is logged (its message was delivered again), not thrown.
    private func receiveAcking(_ receipt: Receipt, lease: Duration, maxAttempts: Int,
                               limits: WorkLimits?) async throws(DQError) -> LeasedMessage? {
        do {
            return try await receive(lease: lease, timeout: .zero, maxAttempts: maxAttempts, acking: [receipt],
                                     limits: limits).first
        } catch where error.kind == .staleReceipt {
            logLostLease(receipt)
            return nil
        }
    }

    /// Runs `handler` on `leased` in a task `handlers` keeps, extending the lease
    /// meanwhile. Returns `true` when the message is to be acked; otherwise it was settled
    /// here: nacked with backoff, buried, or released if the handler was cancelled.
    private func handle(_ leased: LeasedMessage, lease: Duration, maxAttempts: Int, backoff: Duration,
                        handlers: HandlerTasks,
                        handler: @escaping @Sendable (Message) async throws -> Void) async throws(DQError) -> Bool {
        let keeper = LeaseKeeper(queue: self, receipt: leased.receipt, lease: lease)
        let ending = await handlers.run { try await handler(leased.message) }
        keeper.stop()
        guard case .threw(let error, let cancelled) = ending else { return true }
        let outcome: WorkOutcome = switch error {
        case WorkRejection.drop: .done
        case is WorkRejection: .deadLetter
        default: cancelled ? .stopped : .failed
        }
        logHandlerError(error, leased, outcome, maxAttempts: maxAttempts, backoff: backoff)
        // A dropped message is acked as a handled one is: in the next receive's transaction.
        if outcome == .done { return true }
        _ = try settle(leased, outcome, maxAttempts: maxAttempts, backoff: backoff, failure: DeliveryFailure(thrown: error))
        return false
    }

    /// Logs a handler that threw, and what becomes of its message.
    private func logHandlerError(_ error: any Error, _ leased: LeasedMessage, _ outcome: WorkOutcome,
                                 maxAttempts: Int, backoff: Duration) {
        var metadata: Logger.Metadata = ["queue": "\(name)", "message_id": "\(leased.message.id)",
                                         "attempt": "\(leased.message.attempt)", "error": "\(error)"]
        let logger = store.logger
        switch outcome {
        case .stopped:
            logger.info("handler cancelled as work stopped; the message goes back, the attempt not counted",
                        metadata: metadata)
        case .done:
            logger.warning("handler dropped the message", metadata: metadata)
        case .deadLetter:
            logger.error("handler rejected the message; it goes to the dead letters", metadata: metadata)
        case .failed where leased.message.attempt >= maxAttempts:
            logger.error("handler failed on the last attempt; the message goes to the dead letters", metadata: metadata)
        case .failed:
            metadata["retry_in"] = "\(Self.retryDelay(afterAttempt: leased.message.attempt, backoff: backoff))"
            logger.warning("handler failed; the message will be retried", metadata: metadata)
        }
    }
}

public struct LeasedMessages: AsyncSequence, Sendable {
    /// Each element is one leased delivery.
    public typealias Element = LeasedMessage
    public typealias Failure = DQError
    let queue: Queue
    let lease: Duration
    let maxAttempts: Int

    /// Leases the sequence's messages one at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: Queue
        let lease: Duration
        let maxAttempts: Int

        public typealias Failure = DQError

        /// Waits for and leases the next message; `nil` once the task is cancelled.
        /// Throws `DQError` if the store fails.
        public mutating func next() async throws(DQError) -> LeasedMessage? {
            while true {
                do {
                    if let leased = try await queue.receive(lease: lease, timeout: nil, maxAttempts: maxAttempts).first {
                        return leased
                    }
                } catch where error.kind == .cancelled {
                    return nil
                }
            }
        }
    }

    /// An iterator that leases messages from the queue.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: queue, lease: lease, maxAttempts: maxAttempts)
    }
}
