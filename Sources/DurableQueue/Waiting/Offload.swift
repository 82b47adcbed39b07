import Dispatch

/// Runs blocking store work on a Dispatch thread, so async callers never block a
/// thread of the cooperative pool.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws(DQError) -> T) async throws(DQError) -> T {
    let result: Result<T, DQError> = await withCheckedContinuation { continuation in
        // A serial queue of its own may start a new thread when every pool thread is
        // blocked, so this never queues behind other blocked work.
        DispatchQueue(label: "dq.offload").async {
            do throws(DQError) {
                continuation.resume(returning: .success(try work()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    return try result.get()
}
