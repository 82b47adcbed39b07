import DQSystem
import Dispatch
import Synchronization

/// How blocked readers wait: on the queue's doorbell (inotify), re-checking the store
/// after every ring, and at least this often even without one, as a backstop.
enum WaitPolicy {
    static let safetyRecheck: Duration = .seconds(1)
}

/// Inotify watches on doorbells, kept between waits so a reader that blocks again and
/// again (a worker, a ping-pong) does not set up a watch each time.
///
/// `@unchecked Sendable`: `idle` is a `Mutex`; a watch taken out is used by the
/// taking thread alone until it is put back.
final class WaiterPool: @unchecked Sendable {
    private let idle = Mutex<[String: [Handed]]>([:])
    private let maxIdlePerQueue = 4

    /// A watch on `queue`'s doorbell: an idle one, or a new one on the file `bell`
    /// returns (called only then, so a reused watch costs no file system call).
    func take(queue: String, bell: () throws(DQError) -> String) throws(DQError) -> InotifyWatch {
        if let watch = idle.withLock({ $0[queue]?.popLast()?.watch }) { return watch }
        return try InotifyWatch(path: bell())
    }

    func putBack(_ watch: InotifyWatch, queue: String) {
        let maxIdlePerQueue = maxIdlePerQueue
        idle.withLock { idle in
            if idle[queue, default: []].count < maxIdlePerQueue { idle[queue, default: []].append(Handed(watch: watch)) }
        }
    }

    /// A watch no thread uses while it is idle: handed over whole, so it may cross
    /// between threads (`@unchecked Sendable`, guarded by `idle`'s `Mutex`).
    private struct Handed: @unchecked Sendable {
        let watch: InotifyWatch
    }
}

/// Runs blocking store work on a Dispatch thread, so async callers never block a
/// thread of the cooperative pool.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws(DQError) -> T) async throws(DQError) -> T {
    let result: Result<T, DQError> = await withCheckedContinuation { continuation in
        // A serial queue of its own may start a new thread when every pool thread is
        // blocked in a wait, so waits never queue behind each other.
        DispatchQueue(label: "dq.wait").async {
            do throws(DQError) {
                continuation.resume(returning: .success(try work()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    return try result.get()
}

/// Runs a blocking wait (`wait`, given a `WaitInterrupt`) on a Dispatch thread
/// (`offload`), signalling the interrupt when the task is cancelled, so the wait ends at
/// once. A wait that ended with nothing (`nil`) because of the cancellation throws
/// `CancellationError`; one that got something returns it, so nothing taken is lost.
func cancellableWait<T: Sendable>(_ wait: @escaping @Sendable (WaitInterrupt) throws(DQError) -> T?) async throws -> T? {
    try Task.checkCancellation()
    let interrupt = try WaitInterrupt()
    let result = try await withTaskCancellationHandler {
        try await offload { () throws(DQError) in try wait(interrupt) }
    } onCancel: {
        interrupt.signal()
    }
    if result == nil { try Task.checkCancellation() }
    return result
}
