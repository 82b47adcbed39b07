import DurableQueue
import Foundation
import Testing

@Suite("Named lock")
struct NamedLockTests {
    let directory = TemporaryDirectory()

    @Test("unlocking twice releases once: a second taker still times out while the lock is held")
    func doubleUnlockKeepsExclusion() throws {
        let lock = try Store(path: directory.file("store.db")).lock("L")
        let held = try lock.lock(timeout: .seconds(1))
        held.unlock()
        held.unlock()
        let first = try lock.lock(timeout: .seconds(1))
        defer { first.unlock() }
        let error = #expect(throws: DQError.self) { try lock.lock(timeout: .milliseconds(200)) }
        #expect(error?.kind == .timedOut)
    }

    @Test("unlocking a hold taken by a helper thread twice leaves a later descriptor open")
    func doubleUnlockClosesOnce() throws {
        let store = try Store(path: directory.file("store.db"))
        let other = try store.lock("L")  // its own open file, as another process would have
        let lock = try store.lock("L")
        let blocker = try other.lock(timeout: .seconds(1))
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { blocker.unlock() }
        // Taken while `other` holds it, so a helper thread waits in `flock` on its own descriptor.
        let held = try lock.lock(timeout: .seconds(10))
        held.unlock()
        let unrelated = open(directory.file("unrelated"), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(unrelated >= 0)
        defer { close(unrelated) }
        held.unlock()
        #expect(fcntl(unrelated, F_GETFD) != -1, "descriptor \(unrelated) was closed by the second unlock")
    }
}
