import Foundation
import Synchronization

/// A task executor with a fixed number of threads, to run tasks on as few threads as a
/// small machine's cooperative pool has (`withTaskExecutorPreference`), whatever the
/// machine the tests run on.
final class FixedThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` is a Mutex and `ready` a semaphore; nothing else changes.
    private let jobs = Mutex<[UnownedJob]>([])
    private let ready = DispatchSemaphore(value: 0)

    init(threads: Int) {
        for _ in 0..<threads {
            let thread = Thread { [self] in
                while true {
                    ready.wait()
                    guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                    job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        ready.signal()
    }
}
