// dq from Swift, for the examples/ README (run by ExampleTests):
//
//   dq-example worker STORE   a worker loop with Queue.work, over 5 jobs
//   dq-example pipe STORE     a parent and a child process talking over a Pipe
import DurableQueue
import Foundation
import Synchronization

@main
struct Example {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3 else {
            print("usage: dq-example worker|pipe STORE")
            exit(64)
        }
        let store = try Store(path: arguments[2])
        switch arguments[1] {
        case "worker": try await worker(store)
        case "pipe": try pipeParent(store, path: arguments[2])
        case "pipe-child": try pipeChild(store)
        default:
            print("unknown example \(arguments[1])")
            exit(64)
        }
    }

    /// Puts five jobs, then runs a worker loop: two at a time, acked when the handler
    /// returns, retried when it throws. Cancelling the task stops it.
    static func worker(_ store: Store) async throws {
        let jobs = try store.queue("jobs")
        for number in 1...5 { try jobs.put(json: ["square": number]) }
        let done = try store.counter("jobs-done")
        let results = Mutex<[Int]>([])
        let loop = Task {
            try await jobs.work(lease: .seconds(30), concurrency: 2) { message in
                let job = try message.decode([String: Int].self)
                let square = job["square"]! * job["square"]!
                results.withLock { $0.append(square) }
                try done.add()
            }
        }
        _ = try await done.wait(atLeast: 5, timeout: .seconds(30))
        loop.cancel()
        _ = try? await loop.value
        print("squares: \(results.withLock { $0.sorted() })")
    }

    /// Starts this program again as the child, then ping-pongs three times.
    static func pipeParent(_ store: Store, path: String) throws {
        let end = try store.pipe("chat", end: .first)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["pipe-child", path]
        try child.run()
        for number in 1...3 {
            try end.send("ping \(number)")
            guard let reply = try end.receive(timeout: .seconds(30)) else { print("no reply"); exit(1) }
            print("parent got: \(reply.text ?? "")")
        }
        child.waitUntilExit()
    }

    static func pipeChild(_ store: Store) throws {
        let end = try store.pipe("chat", end: .second)
        for _ in 1...3 {
            guard let message = try end.receive(timeout: .seconds(30)) else { exit(1) }
            try end.send((message.text ?? "").replacing("ping", with: "pong"))
        }
    }
}
