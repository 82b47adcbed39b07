// Made from README.md by ReadmeSnippetTests; do not edit. After changing a Swift
// snippet in README.md, run `DQ_UPDATE_SNIPPETS=1 swift test --filter ReadmeSnippetTests`.
import DurableQueue
import Foundation
import Logging
import ServiceLifecycle

extension ReadmeContext {
    static func snippet1() async throws {

        let store = try Store(path: "/var/tmp/app.db")        // nil: the default path
        let jobs = try store.queue("jobs")
        try jobs.put("resize cat.png", priority: 1)
        try jobs.put(json: Job(name: "thumbnail", size: 64))  // any Encodable
        let message = try await jobs.get(timeout: .seconds(5)) // nil on timeout; .zero: don't wait
        if let job = try message?.decode(Job.self) { try await resize(job) }
        let batch = try await jobs.get(limit: 100)             // waits as long as it takes
        print("took \(batch.count)")

        for leased in try await jobs.receive(lease: .seconds(60), limit: 10, timeout: .seconds(5)) {
            do { try await handle(leased.message); try jobs.ack(leased.receipt) }
            catch { try jobs.nack(leased.receipt, delay: .seconds(30)) }
        }

        // one message after another: each ack rides in the transaction that leases the next
        var done: [Receipt] = []
        while let leased = try await jobs.receive(lease: .seconds(60), acking: done).first {
            try await handle(leased.message)
            done = [leased.receipt]
        }

        // or let dq run the loop: ack on return, retry with backoff on throw, extend the
        // lease meanwhile; until the task is cancelled
        try await jobs.work(lease: .seconds(60), concurrency: 4) { message in
            guard let job = try? message.decode(Job.self) else {
                throw WorkRejection.deadLetter(reason: "not a Job")  // no retries; .drop(reason:) acks
            }
            try await resize(job)
        }
    }

    static func snippet2() async throws {
        struct JobService: Service {
            let jobs: Queue
            func run() async throws {
                try await cancelWhenGracefulShutdown {
                    try await jobs.work(concurrency: 4, shutdownGrace: .seconds(20)) { try await handle($0) }
                }
            }
        }
        try await ServiceGroup(services: [JobService(jobs: jobs)], gracefulShutdownSignals: [.sigterm],
                               logger: logger).run()
    }

    static func snippet3() async throws {
        for try await done in try store.counter("done").values() where done >= 100 { break }
        for try await mode in try store.dict("config").values(of: "mode") { apply(mode) }
        for try await paused in try store.event("paused").values() { print(paused) }
    }

    static func snippet4() async throws {
        let orders = try store.stream("orders")
        try orders.publish("order 17 paid")                               // every group gets it
        try orders.publish(contentsOf: [OutgoingEntry("order 18 paid", key: "order-18")],
                           trim: StreamTrim(maxLength: 100_000))          // trims the log as it goes

        // billing's service: leases each entry, acks it with the next receive
        let billing = try orders.group("billing")                         // made at first use (from: .last)
        var done: [StreamReceipt] = []
        while let leased = try await billing.receive(lease: .seconds(30), acking: done).first {
            print(leased.entry.sequence, leased.entry.text ?? "")
            done = [leased.receipt]
        }

        // mail's service, as an AsyncSequence; a group made later can start at .first
        for try await leased in try orders.group("mail", from: .first).subscription(lease: .seconds(30)) {
            try orders.ack(leased.receipt)                                // the receipt names its group
        }
    }

}
