import DQSystem
import DurableQueue
import DurableQueuePostgres
import FoundationEssentials

extension BenchRunner {
    /// Q1: W1 (one process putting, one per transaction) and W8 (`dq put` / `dq get`
    /// invocations) on a store that holds `otherQueues` other queues of one message
    /// each, against the same on a store with one queue; alternated, medians shown. The
    /// ratio is how much the other queues cost: 1.00 is nothing.
    func manyQueues() throws -> [BenchResult] {
        let template = try freshStore("Q1-template")
        progress("Q1: making \(sizes.otherQueues) queues")
        try makeQueues(template, count: sizes.otherQueues)
        func store(_ name: String, crowded: Bool) throws -> String {
            let db = try freshStore(name)
            if crowded {
                for suffix in ["", "-wal"] where FileSystem.exists(template + suffix) {
                    try copyFile(template + suffix, to: db + suffix)
                }
            }
            return db
        }
        let count = sizes.put
        let (one, many) = try alternating(.q1) {
            rate(try roles([spec(.put, try store("Q1-W1-one", crowded: false), count: count)]), count: count)
        } dq: {
            rate(try roles([spec(.put, try store("Q1-W1-many", crowded: true), count: count)]), count: count)
        }
        var oneQueue: [UInt64] = [], manyQueues: [UInt64] = []
        for round in 1...sizes.rounds {
            progress("Q1 W8 (round \(round) of \(sizes.rounds))")
            oneQueue += try invocations(try store("Q1-W8-one", crowded: false))
            manyQueues += try invocations(try store("Q1-W8-many", crowded: true))
        }
        let others = "\(Self.grouped(sizes.otherQueues)) other queues"
        let base = perInvocation("Q1-W8-one", "W8 with one queue", oneQueue, floor: nil)
        return [result("Q1-W1-one", "W1 with one queue", value: one, unit: "msg/s", n: count),
                result("Q1-W1", "W1 among \(others)", value: many, unit: "msg/s", n: count, floor: one),
                base,
                perInvocation("Q1-W8", "W8 among \(others)", manyQueues, floor: base.value)]
    }

    /// Puts one message on each of `count` queues, one put (one transaction) each.
    private func makeQueues(_ db: String, count: Int) throws {
        let store = try Store.open(db, options: StoreOptions(durability: configuration.durability))
        for index in 0..<count { try store.queue("other-\(index)").put("x") }
    }

    /// W8's dq part on `db`: `sizes.invocations` puts, then as many gets (µs each).
    private func invocations(_ db: String) throws -> [UInt64] {
        let options = ["--db", db, "--sync", sync]
        var samples: [UInt64] = []
        for index in 0..<sizes.invocations {
            samples.append(try CommandTimer.time([configuration.executable, "put", "bench", "message-\(index)"] + options))
        }
        for _ in 0..<sizes.invocations {
            samples.append(try CommandTimer.time([configuration.executable, "get", "bench", "--no-wait"] + options))
        }
        return samples
    }

    private func copyFile(_ source: String, to destination: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        try bytes.write(to: URL(fileURLWithPath: destination))
        try? FileSystem.setPermissions(destination, 0o600)
    }

    /// `100000` as `100,000`.
    private static func grouped(_ number: Int) -> String {
        var digits = Array(String(number))
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: index)
            index -= 3
        }
        return String(digits)
    }
}
