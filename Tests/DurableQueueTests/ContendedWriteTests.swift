import Foundation
import Synchronization
import Testing
@testable import DurableQueue

/// Two `Store` objects on one file have their own connections and their own open
/// file on `PATH-lock`, so they contend for SQLite's lock and the `flock` exactly as two
/// processes do.
@Suite("Contended writes")
struct ContendedWriteTests {
    let directory = TemporaryDirectory()

    /// Whether some open file holds the writer lock (probed from a file of our own).
    private func writerLockIsHeld(_ path: String) throws -> Bool {
        let probe = try WriterLock(path: Store.lockPath(for: path))
        guard let hold = try? probe.acquire(timeout: .zero) else { return true }
        probe.release(hold)
        return false
    }

    @Test("a writer that meets an open write transaction queues on the flock and goes in when it commits")
    func queuesInTheKernel() throws {
        let path = directory.file("store.db")
        let holder = try Store(path: path)
        let writer = try Store(path: path).queue("q")
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let committed = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? holder.write { _ in
                started.signal()
                release.wait()
            }
            committed.signal()
        }
        started.wait()
        #expect(try !writerLockIsHeld(path), "an uncontended write takes no flock")
        let putDone = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<PutResult, DQError>?>(nil)
        DispatchQueue.global().async {
            do throws(DQError) { let result = try writer.put("queued"); outcome.withLock { $0 = .success(result) } }
            catch { outcome.withLock { $0 = .failure(error) } }
            putDone.signal()
        }
        #expect(eventually { (try? writerLockIsHeld(path)) == true }, "the blocked writer waits holding the flock")
        #expect(putDone.wait(timeout: .now() + .milliseconds(100)) == .timedOut, "it waits while the transaction is open")
        release.signal()
        #expect(committed.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(putDone.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(throws: Never.self) { try outcome.withLock { $0 }?.get() }
        #expect(try !writerLockIsHeld(path), "the flock is let go once the write is in")
        #expect(try writer.get(timeout: .zero)?.text == "queued")
    }

    @Test("opening a store does not wait for writers queued on the lock file")
    func setUpIndependentOfWriterQueue() throws {
        let path = directory.file("store.db")
        _ = try Store(path: path)
        let queued = try WriterLock(path: Store.lockPath(for: path))
        let hold = try queued.acquire(timeout: .seconds(1))  // as a colliding writer would
        defer { queued.release(hold) }
        // The set-up lock waits at most the busy timeout: it would time out if it shared
        // the writers' flock.
        let store = try Store(path: path, options: StoreOptions(busyTimeout: .milliseconds(300)))
        #expect(try store.queue("q").count() == 0)
    }

    @Test("a writer still blocked after the busy timeout fails with timedOut")
    func timesOut() throws {
        let path = directory.file("store.db")
        let holder = try Store(path: path)
        let writer = try Store(path: path, options: StoreOptions(busyTimeout: .milliseconds(200))).queue("q")
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? holder.write { _ in
                started.signal()
                release.wait()
            }
            finished.signal()
        }
        started.wait()
        let error = #expect(throws: DQError.self) { try writer.put("late") }
        #expect(error?.kind == .timedOut)
        #expect(try !writerLockIsHeld(path), "a writer that gave up holds nothing")
        release.signal()
        #expect(finished.wait(timeout: .now() + .seconds(10)) == .success)
        try writer.put("now")
        #expect(try writer.count() == 1)
    }
}
