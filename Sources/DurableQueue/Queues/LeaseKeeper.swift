import Dispatch
import Synchronization

/// Keeps a lease from running out while its message is being handled: extends it by its
/// full length every third of that length, on a Dispatch timer (no thread of its own),
/// until `stop()`. `Queue.work` and `dq worker` both keep their leases this way.
///
/// For example:
///
/// ```swift
/// let keeper = LeaseKeeper(queue: jobs, receipt: leased.receipt, lease: .seconds(30))
/// defer { keeper.stop() }
/// try runLongJob(leased.message)
/// ```
public final class LeaseKeeper: @unchecked Sendable {
    // @unchecked: Dispatch sources may be cancelled from any thread; `stopped` is atomic.
    private let timer: any DispatchSourceTimer
    private let stopped = Flag()

    /// Starts extending `receipt`'s lease on `queue` by `lease` every `lease / 3`. A
    /// failed extension is reported to `onFailure` (for example a stale receipt: the
    /// lease ran out before it could be extended) and the keeper goes on trying.
    public init(queue: Queue, receipt: Receipt, lease: Duration,
                onFailure: @escaping @Sendable (DQError) -> Void = { _ in }) {
        let interval = DispatchTimeInterval.microseconds(Int(clamping: max(1, Timestamp.microseconds(lease) / 3)))
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [stopped] in
            if stopped.isSet { return }
            do throws(DQError) { try queue.extend(receipt, by: lease) } catch { onFailure(error) }
        }
        timer.resume()
    }

    /// Stops extending. Call it before settling the message; safe to call more than once.
    public func stop() {
        if stopped.set() { return }
        timer.cancel()
    }

    deinit {
        stop()
    }
}

/// A flag set once, shared with the timer's handler.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    /// Sets it; returns whether it was already set.
    func set() -> Bool { value.exchange(true, ordering: .acquiringAndReleasing) }
}
