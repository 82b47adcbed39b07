// dq-lifecycle-helper DB QUEUE CONCURRENCY HANDLER_MS GRACE_MS
//
// Runs `Queue.work` (CONCURRENCY handlers, a shutdown grace of GRACE_MS) as a
// swift-service-lifecycle Service, in a ServiceGroup that SIGTERM shuts down gracefully
// through `cancelWhenGracefulShutdown`. Each handler adds 1 to the store's counter
// "started", sleeps HANDLER_MS, then adds 1 to "finished". Exits 0 when the group
// returns; a throw from the group is a non-zero exit. Logs go to standard error.
import DurableQueue
import Foundation
import Logging
import ServiceLifecycle

/// A work loop as a service: it returns when graceful shutdown cancels it.
struct WorkService: Service {
    let store: Store
    let queue: String
    let concurrency: Int
    let handlerTime: Duration
    let grace: Duration

    func run() async throws {
        let queue = try store.queue(queue)
        let started = try store.counter("started")
        let finished = try store.counter("finished")
        try await cancelWhenGracefulShutdown { [handlerTime, concurrency, grace] in
            try await queue.work(lease: .seconds(30), concurrency: concurrency, shutdownGrace: grace) { _ in
                try started.add()
                try await Task.sleep(for: handlerTime)
                try finished.add()
            }
        }
    }
}

@main
struct LifecycleHelper {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 6, let concurrency = Int(arguments[3]), let handlerTime = Int(arguments[4]),
              let grace = Int(arguments[5]) else {
            FileHandle.standardError.write(Data("usage: dq-lifecycle-helper DB QUEUE CONCURRENCY HANDLER_MS GRACE_MS\n".utf8))
            exit(64)
        }
        let logger = Logger(label: "dq-lifecycle-helper", factory: { StreamLogHandler.standardError(label: $0) })
        let store = try Store(path: arguments[1], options: StoreOptions(logger: logger))
        let service = WorkService(store: store, queue: arguments[2], concurrency: concurrency,
                                  handlerTime: .milliseconds(handlerTime), grace: .milliseconds(grace))
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm], logger: logger)
        try await group.run()
    }
}
