import DQSystem
import DurableQueue

/// Fires the store's schedules on a thread of its own while `dq worker` runs, as every
/// worker does (`Store.fireSchedules(interrupt:)`), until `stop` is signalled. A store
/// failure is said once on stderr and retried a second later: the worker's own work
/// goes on meanwhile.
enum ScheduleFirer {
    static func start(_ store: Store, until stop: WaitInterrupt) {
        detachThread {
            var said = false
            while !stop.isSignalled {
                do throws(DQError) {
                    try store.fireSchedules(interrupt: stop)
                } catch {
                    if !said { ErrorReport.warn("worker: firing schedules: \(error.message); trying again every second") }
                    said = true
                    _ = Poll.readable([FileDescriptor(rawValue: stop.fileDescriptor)], milliseconds: 1_000)
                }
            }
        }
    }
}
