@preconcurrency import Glibc

/// Threads of the operating system, apart from Dispatch's pool.
public enum OSThread {
    /// `pthread_create(3)` then `pthread_detach(3)`: runs `body` on a new thread that
    /// nobody joins.
    ///
    /// - Returns: whether the thread started; if not, `body` was not run.
    public static func startDetached(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Work {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, work)
        guard started == 0 else {
            Unmanaged<Work>.fromOpaque(work).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
