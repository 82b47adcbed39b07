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
        let probe = try WriterLock(path: SQLiteEngine.lockPath(for: path))
        guard let hold = try? probe.acquire(timeout: .zero) else { return true }
        probe.release(hold)
        return false
    }

    /// A write transaction held open on a thread of its own (as another process's
    /// would be) until `release`; `finished` is signalled once it committed and
    /// `afterwards` ran.
    private struct OpenTransaction {
        let release = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)

        init(on store: Store, afterwards: @escaping @Sendable () -> Void = {}) {
            let started = DispatchSemaphore(value: 0)
            Thread { [release, finished] in
                _ = try? store.sqlite.write { _ in
                    started.signal()
                    release.wait()
                }
                afterwards()
                finished.signal()
            }.start()
            started.wait()
        }
    }

    /// A put on a thread of its own; `done` is signalled with its outcome in `outcome`.
    private final class BackgroundPut: Sendable {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<PutResult, DQError>?>(nil)

        init(_ queue: Queue, _ body: String) {
            Thread { [self] in
                do throws(DQError) { let result = try queue.put(body); outcome.withLock { $0 = .success(result) } }
                catch { outcome.withLock { $0 = .failure(error) } }
                done.signal()
            }.start()
        }

        func result() throws -> PutResult? { try outcome.withLock { $0 }?.get() }
    }

    @Test("a writer that meets an open write transaction queues on the flock and goes in when it commits")
    func queuesInTheKernel() throws {
        let path = directory.file("store.db")
        let holder = try Store(path: path)
        let writer = try Store(path: path).queue("q")
        let open = OpenTransaction(on: holder)
        #expect(try !writerLockIsHeld(path), "an uncontended write takes no flock")
        let put = BackgroundPut(writer, "queued")
        #expect(eventually { (try? writerLockIsHeld(path)) == true }, "the blocked writer waits holding the flock")
        #expect(put.done.wait(timeout: .now() + .milliseconds(100)) == .timedOut, "it waits while the transaction is open")
        open.release.signal()
        #expect(open.finished.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(put.done.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(throws: Never.self) { try put.result() }
        #expect(try !writerLockIsHeld(path), "the flock is let go once the write is in")
        #expect(try writer.get(timeout: .zero)?.text == "queued")
    }

    @Test("opening a store does not wait for writers queued on the lock file")
    func setUpIndependentOfWriterQueue() throws {
        let path = directory.file("store.db")
        _ = try Store(path: path)
        let queued = try WriterLock(path: SQLiteEngine.lockPath(for: path))
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
        let open = OpenTransaction(on: holder)
        let error = #expect(throws: DQError.self) { try writer.put("late") }
        #expect(error?.kind == .timedOut)
        #expect(try !writerLockIsHeld(path), "a writer that gave up holds nothing")
        open.release.signal()
        #expect(open.finished.wait(timeout: .now() + .seconds(10)) == .success)
        try writer.put("now")
        #expect(try writer.count() == 1)
    }

    @Test("a TRUNCATE checkpoint waiting for a reader does not take the writers' queue (no lock-order deadlock)")
    func checkpointDoesNotQueue() throws {
        let path = directory.file("store.db")
        let checkpointer = try Store(path: path)
        let holder = try Store(path: path)
        let reader = try Store(path: path)
        let writer = try Store(path: path, options: StoreOptions(busyTimeout: .seconds(5))).queue("q")
        let queue = try checkpointer.queue("q")
        for index in 0..<50 { try queue.put("m\(index)") }
        // A reader keeps an old snapshot, so TRUNCATE must wait for it.
        let readerIn = DispatchSemaphore(value: 0)
        let readerOut = DispatchSemaphore(value: 0)
        Thread {
            _ = try? reader.sqlite.read { connection in
                _ = try connection.scalarInt("SELECT count(*) FROM lanes")
                readerIn.signal()
                readerOut.wait()
            }
        }.start()
        readerIn.wait()
        for index in 0..<50 { try queue.put("n\(index)") }
        // A holder keeps SQLite's write lock; when it commits, a TRUNCATE checkpoint
        // takes the write lock and waits for the reader, while a writer that collided
        // with the holder waits in the queue on PATH-lock.
        let open = OpenTransaction(on: holder) {
            _ = try? checkpointer.sqlite.withConnection { try $0.scalarInt("PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        let put = BackgroundPut(writer, "x")
        #expect(eventually { (try? writerLockIsHeld(path)) == true }, "the writer is queued")
        open.release.signal()
        // The reader stays a moment, so the checkpoint is waiting for it, then leaves.
        usleep(200_000)
        readerOut.signal()
        #expect(open.finished.wait(timeout: .now() + .seconds(10)) == .success, "checkpointed")
        #expect(put.done.wait(timeout: .now() + .seconds(10)) == .success)
        // Before the fix, the checkpoint queued behind the writer while holding SQLite's
        // lock, and the put failed after its 5 s busy timeout.
        #expect(throws: Never.self) { try put.result() }
    }

    @Test("a colliding writer is not held up by a Dispatch pool full of blocked waits")
    func notStarvedByDispatch() throws {
        let path = directory.file("store.db")
        let holder = try Store(path: path)
        let writer = try Store(path: path, options: StoreOptions(busyTimeout: .seconds(30))).queue("q")
        // Fill Dispatch's global pool with blocked work, as many async gets would.
        let block = DispatchSemaphore(value: 0)
        let running = DispatchSemaphore(value: 0)
        let blocked = ProcessInfo.processInfo.activeProcessorCount * 2
        for _ in 0..<blocked { DispatchQueue.global().async { running.signal(); block.wait() } }
        defer { for _ in 0..<blocked { block.signal() } }
        for _ in 0..<ProcessInfo.processInfo.activeProcessorCount {
            _ = running.wait(timeout: .now() + .seconds(5))
        }
        // Another writer holds the flock, and a transaction holds SQLite's lock.
        let other = try WriterLock(path: SQLiteEngine.lockPath(for: path))
        let hold = try other.acquire(timeout: .seconds(1))
        let open = OpenTransaction(on: holder)
        let put = BackgroundPut(writer, "x")
        // Let the writer collide and start waiting for the flock (nothing to await: it
        // is inside SQLite's busy handler).
        usleep(100_000)
        open.release.signal()
        other.release(hold)
        // With its flock wait on the starved pool, the put took about a second per
        // blocked thread; on a thread of its own it goes in at once.
        #expect(put.done.wait(timeout: .now() + .seconds(2)) == .success)
        #expect(try writer.count() == 1)
    }

    @Test("the head of the queue spins for 30 µs, then sleeps 20 µs first and longer after, up to 1 ms")
    func pauseSchedule() {
        #expect(ContendedWrite.pause(polledFor: 0, sleeps: 0) == .spin(nanoseconds: 2_000))
        #expect(ContendedWrite.pause(polledFor: 29_999, sleeps: 0) == .spin(nanoseconds: 2_000))
        // However many tries the spinning took, the first sleep is the shortest.
        #expect(ContendedWrite.pause(polledFor: 30_000, sleeps: 0) == .sleep(microseconds: 20))
        #expect(ContendedWrite.pause(polledFor: 200_000, sleeps: 2) == .sleep(microseconds: 50))
        #expect(ContendedWrite.pause(polledFor: 9_000_000_000, sleeps: 500) == .sleep(microseconds: 1_000))
    }
}
