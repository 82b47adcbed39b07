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

    @Test("2 producers and 2 consumers committing without pause: the write-ahead log keeps starting over instead of growing")
    func logStartsOverUnderSteadyCommits() throws {
        let path = directory.file("steady.db")
        // Open throughout, so that no other process's exit is the last close (which
        // would checkpoint the log and delete it).
        let store = try Store(path: path)
        #expect(try store.queue("q").count() == 0)
        // Writers whose commits interleave without a pause: a checkpoint that merely
        // races them never finds every frame copied, so the log would never start over.
        let count = 25_000
        let consumers = try (0..<2).map { _ in try ChildProcess(Executables.helper, ["consume", path, "q", "stop", "60000"]) }
        let producers = try (0..<2).map { index in
            try ChildProcess(Executables.helper, ["produce", path, "q", "p\(index)", "\(count)"])
        }
        for producer in producers { #expect(producer.wait(timeout: .seconds(300)).status == 0) }
        try store.queue("q").put(contentsOf: [OutgoingMessage("stop"), OutgoingMessage("stop")])
        for consumer in consumers { #expect(consumer.wait(timeout: .seconds(300)).status == 0) }
        // 100,000 commits of a frame or more each: without the background checkpoint's
        // second pass the log reached 190,000–210,000 frames with twice as many. The
        // file keeps its largest size, so its size now is the most the log ever held.
        let frames = StoreLocation.fileSize(path + "-wal") / (4_096 + 24)
        #expect(frames <= 4 * Int64(Checkpointer.inlinePages), "the log reached \(frames) frames")
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
