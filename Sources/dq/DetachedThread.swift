import Dispatch
@preconcurrency import Glibc

/// Runs `body` on an OS thread of its own, for work that blocks for as long as a child
/// process runs (a `dq worker` slot, feeding a command's standard input, reaping it).
/// Dispatch's queues share a pool of at most 255 threads, so such work could wait for
/// a thread there; a thread of its own starts at once. Falls back to a Dispatch queue
/// if no thread can be made.
func detachThread(_ body: @escaping @Sendable () -> Void) {
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
    if started == 0 {
        pthread_detach(thread)
    } else {
        Unmanaged<Work>.fromOpaque(work).release()
        DispatchQueue(label: "dq.thread").async(execute: body)
    }
}
