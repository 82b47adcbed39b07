@testable import DurableQueue
import Foundation
import Testing

/// The store gives space back after a backlog drains, while it stays open and in use.
@Suite("Space")
struct SpaceTests {
    let directory = TemporaryDirectory()

    /// A store whose queue "backlog" has been used once and given its space back, and
    /// a measure of its files (db + WAL).
    func warmedUp(_ name: String) throws -> (queue: Queue, size: () -> Int64) {
        let path = directory.file(name)
        let store = try Store(path: path)
        let queue = try store.queue("backlog")
        try queue.put("warm-up")
        _ = try queue.get(timeout: .zero)
        try store.reclaimSpace()
        return (queue, { StoreLocation.fileSize(path) + StoreLocation.fileSize(path + "-wal") })
    }

    @Test("after 100,000 messages are put and drained, db + WAL shrink back to within 2× of before")
    func reclaimAfterDrain() throws {
        let (queue, size) = try warmedUp("store.db")
        let before = size()

        let body = Data(repeating: 0x61, count: 100)
        for _ in 0..<100 { try queue.put(contentsOf: Array(repeating: OutgoingMessage(body), count: 1_000)) }
        let peak = size()
        #expect(peak > 10 * before)
        var drained = 0
        while true {
            let batch = try queue.get(limit: 1_000, timeout: .zero)
            if batch.isEmpty { break }
            drained += batch.count
        }
        #expect(drained == 100_000)
        // The empty get asked for the space back, on a background thread of this process.
        #expect(eventually(timeout: .seconds(60)) { size() <= 2 * before }, "before \(before), peak \(peak), now \(size())")
        // The store still works.
        try queue.put("after")
        #expect(try queue.get(timeout: .zero)?.text == "after")
    }

    @Test("a small backlog (about 2 MB) drained: db + WAL end within 1 MiB of their size before")
    func reclaimSmallBacklog() throws {
        let (queue, size) = try warmedUp("small.db")
        let before = size()
        let body = Data(repeating: 0x62, count: 100)
        for _ in 0..<15 { try queue.put(contentsOf: Array(repeating: OutgoingMessage(body), count: 1_000)) }
        #expect(size() > before + (3 << 20) / 2, "a backlog of about 2 MB")
        while try !queue.get(limit: 1_000, timeout: .zero).isEmpty {}
        // A consumer that keeps finding the queue empty asks for the space back (at most
        // once a second), on a background thread.
        let shrunk = eventually(timeout: .seconds(30)) {
            _ = try? queue.get(timeout: .zero)
            return size() <= before + (1 << 20)
        }
        #expect(shrunk, "before \(before), now \(size())")
    }
}
