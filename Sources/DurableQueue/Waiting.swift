import Foundation

/// Pauses between re-checks of a queue while a blocking read waits: 1 ms at first,
/// doubling to at most 10 ms, never past the caller's deadline. Bounded and cheap
/// (each re-check is one read-only query), but a later change will replace it with
/// inotify wakeups.
struct PollBackoff {
    private var current: Duration = .milliseconds(1)
    private let maximum: Duration = .milliseconds(10)

    /// The next pause, shortened to end at `deadline`.
    mutating func next(before deadline: Deadline?) -> Duration {
        let pause = current
        current = min(current * 2, maximum)
        guard let deadline else { return pause }
        return min(pause, deadline.remaining)
    }

    /// Sleeps the thread for the next pause.
    mutating func sleep(before deadline: Deadline?) {
        let pause = next(before: deadline)
        let micros = Timestamp.microseconds(pause)
        if micros > 0 { usleep(UInt32(min(micros, 1_000_000))) }
    }
}

/// Runs blocking store work on a Dispatch thread, so async callers never block a
/// thread of the cooperative pool.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws(DQError) -> T) async throws(DQError) -> T {
    let result: Result<T, DQError> = await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            do throws(DQError) {
                continuation.resume(returning: .success(try work()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    return try result.get()
}
