import DQSystem
import Dispatch

/// Runs `body` on an OS thread of its own, for work that blocks for as long as a child
/// process runs (a `dq worker` slot, feeding a command's standard input, reaping it).
/// Dispatch's queues share a pool of at most 255 threads, so such work could wait for
/// a thread there; a thread of its own starts at once. Falls back to a Dispatch queue
/// if no thread can be made.
func detachThread(_ body: @escaping @Sendable () -> Void) {
    if !OSThread.startDetached(body) {
        DispatchQueue(label: "dq.thread").async(execute: body)
    }
}
