import Foundation
import Testing
@testable import DurableQueue

@Suite("Writer lock")
struct WriterLockTests {
    let directory = TemporaryDirectory()

    @Test("a held lock times out other writers, and passes on once released")
    func exclusion() throws {
        let path = directory.file("store.db-lock")
        let first = try WriterLock(path: path)
        let second = try WriterLock(path: path)  // its own open file, as another process would have
        let hold = try first.acquire(timeout: .seconds(1))
        let error = #expect(throws: DQError.self) { try second.acquire(timeout: .milliseconds(100)) }
        #expect(error?.kind == .timedOut)
        first.release(hold)
        second.release(try second.acquire(timeout: .seconds(5)))
    }

    @Test("a writer waiting in the kernel gets the lock as soon as it is released")
    func handoff() throws {
        let path = directory.file("store.db-lock")
        let first = try WriterLock(path: path)
        let second = try WriterLock(path: path)
        let hold = try first.acquire(timeout: .seconds(1))
        let released = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            released.wait()
            first.release(hold)
        }
        let start = ContinuousClock.now
        released.signal()
        second.release(try second.acquire(timeout: .seconds(10)))
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("stores opened with the writer lock on work together")
    func storesWithLock() throws {
        let options = StoreOptions(writerLock: true)
        let a = try Store(path: directory.file("store.db"), options: options).queue("q")
        let b = try Store(path: directory.file("store.db"), options: options).queue("q")
        for index in 0..<50 { try (index % 2 == 0 ? a : b).put("m\(index)") }
        #expect(try a.get(limit: 100, timeout: .zero).count == 50)
    }
}
