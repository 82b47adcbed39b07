// Roles the tests start as real processes:
//
//   dq-test-helper produce DB QUEUE PREFIX COUNT
//       puts PREFIX-000000 … one message per transaction
//   dq-test-helper consume DB QUEUE STOP TIMEOUT_MS
//       gets messages (blocking, TIMEOUT_MS each) and prints "ID BODY" per line until
//       it receives the body STOP; exits 3 if a wait times out
//   dq-test-helper ping DB COUNT BOUND_MS
//       COUNT round trips: put on "req", blocking get on "rep" bounded by BOUND_MS;
//       prints the slowest round trip in microseconds; exits 3 if a bound is missed
//   dq-test-helper pong DB COUNT BOUND_MS
//       answers COUNT requests, each awaited at most BOUND_MS
//   dq-test-helper hold DB QUEUE
//       leases one message for 60 s (released if this process dies), prints its id,
//       then sleeps until killed
//   dq-test-helper pipe-echo DB PIPE COUNT
//       on the second end of pipe PIPE, answers COUNT messages with their text uppercased
//   dq-test-helper stress-produce DB PREFIX COUNT SEED
//       puts PREFIX-N for N < COUNT: single puts, batches and priorities 0…2, at random
//   dq-test-helper stress-consume DB SEED
//       takes messages with get, batch get, or lease then ack (sometimes after a nack and
//       a second lease), printing each body it finally took, until the event
//       "stress-done" is set and a take comes back empty
//   dq-test-helper put-error DB QUEUE
//       puts one message and prints "ok", or the DQError's kind, whether it is
//       retryable, and its message ("diskFull true cannot write …")
//   dq-test-helper mix DB SECONDS SEED
//       random put / batch put / get / lease + ack or nack / peek / len on queues
//       mix-0…mix-3 for SECONDS;
//       prints "ops N errors N" and each error; exits 0 even if there were errors
//   dq-test-helper stream-subscribe DB STREAM GROUP
//       leases the group's entries one at a time (released if this process dies),
//       writes each entry's sequence number on a line of standard output, then acks it
//       with the next receive; runs until killed
//   dq-test-helper stream-hold DB STREAM GROUP
//       leases one entry of the group (from its first) for 60 s, released if this process
//       dies; prints its sequence number, then sleeps until killed
//   dq-test-helper work-many DB QUEUE CONCURRENCY COUNT
//       runs queue.work(concurrency: CONCURRENCY), adding 1 to the counter "handled" per
//       message, until that counter (shared with other processes) reaches COUNT; then
//       prints "inotify N threads N" (what the process held while its slots waited)
import DurableQueue
import DurableQueuePostgres
import Foundation
import Synchronization

@main
struct TestHelper {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else { fail("usage: dq-test-helper ROLE ...") }
        switch (arguments[1], arguments.count) {
        case ("produce", 6):
            let queue = try Store.open(arguments[2]).queue(arguments[3])
            for index in 0..<(Int(arguments[5]) ?? 0) {
                try queue.put(String(format: "%@-%06d", arguments[4], index))
            }
        case ("consume", 6):
            try consume(db: arguments[2], queue: arguments[3], stop: arguments[4],
                        timeout: .milliseconds(Int(arguments[5]) ?? 5_000))
        case ("ping", 5):
            try ping(db: arguments[2], count: Int(arguments[3]) ?? 0, bound: .milliseconds(Int(arguments[4]) ?? 1_000))
        case ("pong", 5):
            try pong(db: arguments[2], count: Int(arguments[3]) ?? 0, bound: .milliseconds(Int(arguments[4]) ?? 1_000))
        case ("hold", 4):
            let queue = try Store.open(arguments[2]).queue(arguments[3])
            guard let leased = try queue.receive(lease: .seconds(60), timeout: .seconds(30)).first else {
                fail("nothing to lease")
            }
            FileHandle.standardOutput.write(Data("\(leased.message.id)\n".utf8))
            while true { sleep(60) }
        case ("stream-subscribe", 5):
            let group = try Store.open(arguments[2]).stream(arguments[3]).group(arguments[4], from: .first)
            var done: [StreamReceipt] = []
            while true {
                let leased = try group.receive(lease: .seconds(60), timeout: .seconds(1), maxAttempts: 1_000, acking: done)
                done = leased.map(\.receipt)
                for entry in leased { FileHandle.standardOutput.write(Data("\(entry.entry.sequence)\n".utf8)) }
            }
        case ("stream-hold", 5):
            let group = try Store.open(arguments[2]).stream(arguments[3]).group(arguments[4], from: .first)
            guard let leased = try group.receive(lease: .seconds(60), timeout: .seconds(30)).first else {
                fail("nothing to lease")
            }
            FileHandle.standardOutput.write(Data("\(leased.entry.sequence)\n".utf8))
            while true { sleep(60) }
        case ("put-error", 4):
            do throws(DQError) {
                try Store.open(arguments[2]).queue(arguments[3]).put("x")
                print("ok")
            } catch {
                print(error.kind, error.isRetryable, error.message)
            }
        case ("pipe-echo", 5):
            let end = try Store.open(arguments[2]).pipe(arguments[3], end: .second)
            for _ in 0..<(Int(arguments[4]) ?? 0) {
                guard let message = try end.receive(timeout: .seconds(30)) else { fail("nothing on the pipe") }
                try end.send((message.text ?? "").uppercased())
            }
        case ("stress-produce", 6):
            let queue = try Store.open(arguments[2]).queue("stress")
            var random = SplitMix64(seed: UInt64(arguments[5]) ?? 1)
            let count = Int(arguments[4]) ?? 0
            var next = 0
            while next < count {
                let priority = Int(random.next() % 3)
                if random.next() % 3 == 0 {
                    let size = min(Int(random.next() % 20) + 1, count - next)
                    try queue.put(contentsOf: (next..<next + size).map { OutgoingMessage("\(arguments[3])-\($0)", priority: priority) })
                    next += size
                } else {
                    try queue.put("\(arguments[3])-\(next)", priority: priority)
                    next += 1
                }
            }
        case ("stress-consume", 4):
            let store = try Store.open(arguments[2])
            let queue = try store.queue("stress")
            let done = try store.event("stress-done")
            var random = SplitMix64(seed: UInt64(arguments[3]) ?? 1)
            var out = ""
            while true {
                var taken: [String] = []
                var empty = true
                switch random.next() % 3 {
                case 0: taken = try queue.get(limit: 1, timeout: .milliseconds(200)).compactMap(\.text)
                case 1: taken = try queue.get(limit: Int(random.next() % 8) + 1, timeout: .milliseconds(200)).compactMap(\.text)
                default:
                    // As many deliveries as the nacks allow: none may end as a dead letter.
                    for leased in try queue.receive(lease: .seconds(60), limit: 2, timeout: .milliseconds(200),
                                                    maxAttempts: 1_000) {
                        empty = false
                        if random.next() % 4 == 0 {
                            try queue.nack(leased.receipt, maxAttempts: 1_000)
                        } else {
                            try queue.ack(leased.receipt)
                            taken.append(leased.message.text ?? "")
                        }
                    }
                }
                if !taken.isEmpty { empty = false }
                for body in taken { out += body + "\n" }
                // Done once the producers are and a take came back empty.
                if empty, try done.isSet() { break }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        case ("work-many", 6):
            try workMany(db: arguments[2], queue: arguments[3], concurrency: Int(arguments[4]) ?? 1,
                         count: Int64(arguments[5]) ?? 0)
        case ("mix", 5):
            try mix(db: arguments[2], seconds: Double(arguments[3]) ?? 1, seed: UInt64(arguments[4]) ?? 1)
        default:
            fail("unknown role or wrong arguments: \(arguments.dropFirst().joined(separator: " "))")
        }
    }

    static func consume(db: String, queue name: String, stop: String, timeout: Duration) throws {
        let queue = try Store.open(db).queue(name)
        var out = ""
        while true {
            guard let message = try queue.get(timeout: timeout) else {
                FileHandle.standardOutput.write(Data(out.utf8))
                fail("timed out waiting for a message")
            }
            let text = message.text ?? "<binary>"
            if text == stop { break }
            out += "\(message.id) \(text)\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    static func ping(db: String, count: Int, bound: Duration) throws {
        let store = try Store.open(db)
        let requests = try store.queue("req")
        let replies = try store.queue("rep")
        var slowest: Duration = .zero
        let clock = ContinuousClock()
        for index in 0..<count {
            let start = clock.now
            try requests.put("\(index)")
            guard let reply = try replies.get(timeout: bound) else { fail("round trip \(index) missed its bound") }
            guard reply.text == "\(index)" else { fail("round trip \(index) got \(reply.text ?? "?")") }
            slowest = max(slowest, clock.now - start)
        }
        let (seconds, attoseconds) = slowest.components
        print(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
    }

    static func pong(db: String, count: Int, bound: Duration) throws {
        let store = try Store.open(db)
        let requests = try store.queue("req")
        let replies = try store.queue("rep")
        for index in 0..<count {
            guard let request = try requests.get(timeout: bound) else { fail("request \(index) missed its bound") }
            try replies.put(request.body)
        }
    }

    static func mix(db: String, seconds: Double, seed: UInt64) throws {
        let store = try Store.open(db)
        let queues = try (0..<4).map { try store.queue("mix-\($0)") }
        var random = SplitMix64(seed: seed)
        var operations = 0
        var errors: [String] = []
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1_000))
        while ContinuousClock.now < end {
            let queue = queues[Int(random.next() % 4)]
            do {
                switch random.next() % 8 {
                case 0, 1: try queue.put("m\(operations)")
                case 2: try queue.put(contentsOf: (0..<10).map { OutgoingMessage("b\($0)") })
                case 3: _ = try queue.get(limit: Int(random.next() % 5) + 1, timeout: .milliseconds(5))
                case 4: _ = try queue.peek(limit: 3)
                case 5, 6:
                    for leased in try queue.receive(lease: .seconds(2), limit: 2, timeout: .milliseconds(5)) {
                        if random.next() % 4 == 0 { try queue.nack(leased.receipt) } else { try queue.ack(leased.receipt) }
                    }
                default: _ = try queue.count()
                }
            } catch {
                errors.append("\(error)")
            }
            operations += 1
        }
        print("ops \(operations) errors \(errors.count)")
        for error in errors.prefix(20) { print(error) }
    }

    static func workMany(db: String, queue name: String, concurrency: Int, count: Int64) throws {
        let store = try Store.open(db)
        let queue = try store.queue(name)
        let handled = try store.counter("handled")
        let finished = DispatchSemaphore(value: 0)
        let outcome = Mutex<String>("")
        Task {
            let worker = Task {
                try await queue.work(concurrency: concurrency, shutdownGrace: .seconds(5)) { _ in
                    try handled.add()
                }
            }
            do {
                let reached = try await handled.wait(atLeast: count, timeout: .seconds(60))
                let held = "inotify \(openInotifyInstances()) threads \(threadCount())"
                worker.cancel()
                try await worker.value
                outcome.withLock { $0 = reached == nil ? "timed out" : held }
            } catch {
                outcome.withLock { $0 = "error: \(error)" }
            }
            finished.signal()
        }
        finished.wait()
        let text = outcome.withLock { $0 }
        guard text.hasPrefix("inotify") else { fail(text) }
        print(text)
    }

    /// How many inotify instances this process has open.
    static func openInotifyInstances() -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.count { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == "anon_inode:inotify" }
    }

    /// How many threads this process has.
    static func threadCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).count
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("dq-test-helper: \(message)\n".utf8))
        exit(3)
    }
}
