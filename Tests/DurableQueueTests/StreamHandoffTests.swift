import Foundation
import Synchronization
import Testing
@testable import DurableQueue

/// A blocking get on a group, run on a thread of its own; `entries` is what it returned,
/// once it has (`[]` if it timed out or failed).
private final class BackgroundGet: Sendable {
    private let got = Mutex<[StreamEntry]?>(nil)

    init(_ group: StreamGroup, timeout: Duration) {
        Thread {
            let entries = (try? group.get(timeout: timeout)) ?? []
            self.got.withLock { $0 = entries }
        }.start()
    }

    var entries: [StreamEntry]? { got.withLock { $0 } }
}

/// Publishes handed straight to blocked group subscribers on SQLite (`StreamHandoffs`).
@Suite("Stream handoffs")
struct StreamHandoffTests {
    let directory = TemporaryDirectory()

    /// Counts the rows ever inserted into `messages` (group copies included), by trigger.
    private func countInserts(_ store: Store) throws {
        try store.sqlite.write { connection in
            try connection.execute("""
                CREATE TABLE inserted (id INTEGER);
                CREATE TRIGGER count_inserts AFTER INSERT ON messages BEGIN INSERT INTO inserted VALUES (new.id); END;
                """)
        }
    }

    private func inserted(_ store: Store) throws -> Int64 {
        try store.sqlite.read { connection in
            let count = try connection.cachedStatement("SELECT count(*) FROM inserted")
            defer { count.reset() }
            _ = try count.step()
            return count.int64(at: 0)
        }
    }

    private func seated(_ store: Store, _ group: StreamGroup) -> Bool {
        store.sqlite.handoffs.value?.candidate(group: StreamHandoffs.group(group.queue.name)) != nil
    }

    @Test("a subscriber blocked on its group is handed the entry: no copy is written to the group's queue")
    func blockedSubscriberIsHanded() throws {
        let path = directory.file("handoff.db")
        let store = try Store.open(path)
        let stream = try store.stream("events")
        let group = try stream.group("billing")
        try countInserts(store)
        let got = BackgroundGet(try Store.open(path).stream("events").group("billing"), timeout: .seconds(10))
        #expect(eventually { seated(store, group) }, "the subscriber sits in a seat while it waits")
        try stream.publish(Data("paid".utf8))
        #expect(eventually { got.entries != nil })
        let entries = try #require(got.entries)
        #expect(entries.map(\.text) == ["paid"])
        #expect(entries.map(\.sequence) == [1])
        #expect(try inserted(store) == 0, "handed, not copied")
        #expect(!seated(store, group), "the seat is left")
        // Nobody waiting: the entry is copied to the group's queue, as always.
        try stream.publish(Data("later".utf8))
        #expect(try inserted(store) == 1)
        #expect(try group.get(timeout: .zero).map(\.text) == ["later"])
    }

    @Test("the publisher leaves a handed entry's body with the seat (when it fits), so the subscriber need not read the log")
    func handedBodyTravelsWithTheSeat() throws {
        let (store, subscriberStore, subscriber) = try publisherAndSubscriber("bodies.db")
        let seats = try #require(subscriberStore.sqlite.handoffs.value)
        let group = StreamHandoffs.group(subscriber.queue.name)
        let short = try #require(seats.register(group: group))
        try store.stream("events").publish(Data("paid".utf8))
        guard case .handed(let entry, let stamp) = seats.check(short) else { Issue.record("not handed"); return }
        #expect(seats.handedBody(short, entry: entry, stamp: stamp) == Data("paid".utf8))
        #expect(seats.handedBody(short, entry: entry, stamp: stamp &+ 1) == nil, "another publication's")
        #expect(seats.handedBody(short, entry: entry &+ 1, stamp: stamp) == nil, "another entry's")
        seats.vacate(short)
        // A claim undone, then made again for the same entry and time with a body too long
        // for the slot (as a retried publish would): the first claim's body is not trusted.
        let longText = String(repeating: "x", count: StreamHandoffs.bodyCapacity + 1)
        let long = Data(longText.utf8)
        let retried = try #require(seats.register(group: group))
        #expect(seats.claim(retried, entry: 99, stamp: 12_345, body: Data("undone".utf8)))
        seats.settle(try #require(seats.claims().first { $0.ticket == retried }), committed: false)
        #expect(seats.claim(retried, entry: 99, stamp: 12_345, body: long))
        seats.hand(retried)
        #expect(seats.check(retried) == .handed(entry: 99, stamp: 12_345))
        #expect(seats.handedBody(retried, entry: 99, stamp: 12_345) == nil)
        seats.vacate(retried)
        // Too long for the slot: the seat (maybe the same one) is handed the entry alone.
        let again = try #require(seats.register(group: group))
        try store.stream("events").publish(long)
        guard case .handed(let longEntry, let longStamp) = seats.check(again) else { Issue.record("not handed"); return }
        #expect(seats.handedBody(again, entry: longEntry, stamp: longStamp) == nil)
        seats.vacate(again)
        // Either way, a blocked get returns the body, handed rather than copied.
        try countInserts(store)
        #expect(try hand("paid again", to: subscriber, store) == ["paid again"])
        #expect(try hand(longText, to: subscriber, store) == [longText])
        #expect(try inserted(store) == 0, "handed, not copied")
        // A get's seat delivers the body it was handed without the log: shown with the
        // log's row gone before the get looks.
        let seat = try #require(subscriberStore.sqlite.handoffSeat(for: subscriber.queue.name, waiting: .seconds(1)))
        #expect(try seat.sit() == nil)
        try store.stream("events").publish(Data("from the seat".utf8))
        try store.sqlite.write { connection in try connection.execute("DELETE FROM stream_entries") }
        let delivered = try seat.takeHanded()
        #expect(delivered?.map { EntryEnvelope.unwrap($0.body)?.body } == [Data("from the seat".utf8)])
    }

    /// What `store`'s engine would trust about `group`'s queue without reading it now
    /// (forgotten once asked).
    private func known(_ store: Store, _ group: StreamGroup) -> MessageTable.Look? {
        let queue = group.queue.name
        return store.sqlite.quietQueues.take(queue, writes: { store.sqlite.doorbells.writeCount(of: queue) }, now: Timestamp.now())
    }

    /// Hands `text` to a get on `subscriber` (of `store`'s `events` group `billing`), blocked for it.
    private func hand(_ text: String, to subscriber: StreamGroup, _ store: Store, batch: [String] = []) throws -> [String]? {
        let group = try store.stream("events").group("billing")
        let got = BackgroundGet(subscriber, timeout: .seconds(10))
        #expect(eventually { seated(store, group) }, "the subscriber sits in a seat while it waits")
        try store.stream("events").publish(contentsOf: ([text] + batch).map { OutgoingEntry($0) })
        #expect(eventually { got.entries != nil })
        return got.entries?.compactMap(\.text)
    }

    /// A publisher's store at `name`, and a subscriber of group "billing" of stream
    /// "events" on a store of its own (another engine, as another process would be).
    private func publisherAndSubscriber(_ name: String) throws -> (Store, Store, StreamGroup) {
        let path = directory.file(name)
        let subscriberStore = try Store.open(path)
        return (try Store.open(path), subscriberStore, try subscriberStore.stream("events").group("billing"))
    }

    @Test("a subscriber handed an entry trusts the publisher's look at its group's queue until something is written there")
    func handedLookHoldsUntilAWrite() throws {
        let (store, subscriberStore, subscriber) = try publisherAndSubscriber("quiet.db")
        #expect(try hand("first", to: subscriber, store) == ["first"])
        guard case .nothingUntil(nil)? = known(subscriberStore, subscriber) else {
            Issue.record("the publisher's look did not come with the entry")
            return
        }
        #expect(try hand("second", to: subscriber, store) == ["second"])
        // Published while the subscriber is between gets: copied to the group's queue, and
        // nobody waits, so nothing rings. The next get must look, not trust the old look
        // (which it would until the wait's re-check, a second later).
        try store.stream("events").publish(Data("third".utf8))
        #expect(known(subscriberStore, subscriber) == nil, "the publish was counted: the look is not trusted")
        #expect(try subscriber.get(timeout: .seconds(10)).map(\.text) == ["third"])
    }

    @Test("a publish that also copies to the group's queue hands no look with its entry")
    func batchHandsNoLook() throws {
        let (store, subscriberStore, subscriber) = try publisherAndSubscriber("quietbatch.db")
        #expect(try hand("first", to: subscriber, store, batch: ["second"]) == ["first"])
        #expect(known(subscriberStore, subscriber) == nil, "the group's queue holds the second entry")
        #expect(try subscriber.get(timeout: .seconds(10)).map(\.text) == ["second"])
    }

    @Test("a remembered look is trusted once, at the same write count, before its due time")
    func quietQueuesTrustRules() {
        let quiet = QuietQueues()
        let now = Timestamp.now()
        quiet.remember("q", StreamHandoffs.Quiet(writes: 7, due: now + 60_000_000))
        guard case .nothingUntil(now + 60_000_000)? = quiet.take("q", writes: { 7 }, now: now) else {
            Issue.record("not trusted")
            return
        }
        #expect(quiet.take("q", writes: { 7 }, now: now) == nil, "once")
        quiet.remember("q", StreamHandoffs.Quiet(writes: 7, due: nil))
        #expect(quiet.take("q", writes: { 8 }, now: now) == nil, "a write since")
        quiet.remember("q", StreamHandoffs.Quiet(writes: 7, due: now - 1))
        #expect(quiet.take("q", writes: { 7 }, now: now) == nil, "fallen due")
        #expect(quiet.take("other", writes: { 7 }, now: now) == nil)
    }

    @Test("an older dq's waiter counts file (without write counts) grows to hold them")
    func olderWaitersFileGrows() throws {
        let path = directory.file("olderwaiters.db")
        try FileManager.default.createDirectory(atPath: path + "-wake", withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        #expect(FileManager.default.createFile(atPath: path + "-wake/waiters", contents: Data(count: 32_768),
                                               attributes: [.posixPermissions: 0o600]))
        let store = try Store.open(path)
        let subscriber = try store.stream("events").group("billing")
        #expect(try hand("first", to: subscriber, store) == ["first"])
        let size = try FileManager.default.attributesOfItem(atPath: path + "-wake/waiters")[.size] as? Int
        #expect(size == 65_536)
    }

    @Test("an async get is handed the entry too")
    func asyncGetIsHanded() async throws {
        let path = directory.file("async.db")
        let store = try Store.open(path)
        let stream = try store.stream("events")
        let group = try stream.group("billing")
        try countInserts(store)
        let waiting = Task { try await Store.open(path).stream("events").group("billing").get(timeout: .seconds(10)) }
        #expect(await eventually { seated(store, group) }, "the subscriber sits in a seat while it waits")
        try stream.publish(Data("paid".utf8))
        #expect(try await waiting.value.map(\.text) == ["paid"])
        #expect(try inserted(store) == 0, "handed, not copied")
    }

    @Test("a SIGKILLed subscriber's seat is not handed anything: the entry waits in the group's queue")
    func deadSubscriberIsSkipped() throws {
        let path = directory.file("dead.db")
        let store = try Store.open(path)
        let stream = try store.stream("events")
        let group = try stream.group("billing")
        let subscriber = try ChildProcess(Executables.dq, ["subscribe", "events", "--group", "billing", "--timeout", "60s", "--db", path])
        #expect(eventually { seated(store, group) }, "the subscriber sits in a seat while it waits")
        kill(subscriber.pid, SIGKILL)
        _ = subscriber.wait()
        try stream.publish(Data("kept".utf8))
        #expect(try group.get(timeout: .zero).map(\.text) == ["kept"], "not lost to the dead subscriber")
        #expect(!seated(store, group), "the dead subscriber's seat was freed")
    }

    @Test("seats in use are counted: none once every subscriber has left, read or died; a dead one's handed seat counts until put back")
    func seatsInUseAreCounted() throws {
        let path = directory.file("count.db")
        let store = try Store.open(path)
        let seats = try #require(store.sqlite.handoffs.value)
        #expect(!seats.anyInUse)
        // Another process's subscriber, handed an entry, dies before reading it.
        let (stream, group) = try handFirstToDeadSubscriber(path)
        let name = StreamHandoffs.group(group.queue.name)
        #expect(seats.anyInUse, "its seat holds an entry")
        try stream.publish(Data("second".utf8))
        #expect(!seats.anyInUse, "put back by the next publish")
        #expect(try group.get(limit: 10, timeout: .zero).map(\.text) == ["first", "second"])
        let waiting = try #require(seats.register(group: name))
        #expect(seats.anyInUse)
        #expect(seats.leave(waiting) == .nothing)
        #expect(!seats.anyInUse, "left while waiting")
        let handed = try #require(seats.register(group: name))
        try stream.publish(Data("third".utf8))
        guard case .handed = seats.check(handed) else { Issue.record("not handed"); return }
        #expect(seats.anyInUse)
        seats.vacate(handed)
        #expect(!seats.anyInUse, "read and vacated")
        // A subscriber of a dead process left waiting: freed by a publisher that finds it.
        var dying: StreamHandoffs? = try #require(StreamHandoffs(path: path + "-wake/seats"))
        _ = try #require(dying?.register(group: name))
        dying = nil
        #expect(seats.anyInUse)
        try stream.publish(Data("fourth".utf8))
        #expect(!seats.anyInUse, "evicted")
        #expect(try group.get(limit: 10, timeout: .zero).map(\.text) == ["fourth"])
    }

    @Test("trimming keeps an entry handed to a subscriber that has not read it yet")
    func trimKeepsHandedEntries() throws {
        let store = try Store.open(directory.file("trim.db"))
        let stream = try store.stream("events")
        let group = try stream.group("billing")
        let seats = try #require(store.sqlite.handoffs.value)
        // A subscriber's seat, taken as a blocked get takes it, and handed the first entry.
        let ticket = try #require(seats.register(group: StreamHandoffs.group(group.queue.name)))
        try stream.publish(Data("first".utf8))
        guard case .handed(let entry, _) = seats.check(ticket) else { Issue.record("not handed"); return }
        try stream.publish(contentsOf: ["second", "third"].map { OutgoingEntry($0) }, trim: StreamTrim(maxLength: 1))
        #expect(try store.sqlite.loggedEntry(entry)?.body == Data("first".utf8), "kept until read")
        // The log is trimmed from its start, so it keeps what follows too.
        #expect(try stream.read(from: 1).map(\.text) == ["first", "second", "third"])
        seats.vacate(ticket)
        #expect(try stream.trim(StreamTrim(maxLength: 1)) == 2, "read: trimmed as any other")
        #expect(try stream.read(from: 1).map(\.text) == ["third"])
    }

    /// Group "billing" of stream "events" at `path`, whose first entry "first" was handed
    /// to a subscriber of another process that died before reading it.
    private func handFirstToDeadSubscriber(_ path: String) throws -> (DurableQueue.Stream, StreamGroup) {
        let stream = try Store.open(path).stream("events")
        let group = try stream.group("billing")
        // Another process's seats, as it maps them.
        var other: StreamHandoffs? = try #require(StreamHandoffs(path: path + "-wake/seats"))
        _ = try #require(other?.register(group: StreamHandoffs.group(group.queue.name)))
        try stream.publish(Data("first".utf8))
        #expect(try group.get(timeout: .zero).isEmpty, "handed to the other process, not copied")
        other = nil  // it dies before reading: the kernel drops its seat's lock
        return (stream, group)
    }

    @Test("an entry handed to a subscriber that died before reading it goes back to its group; trims are not held back")
    func deadSeatDoesNotPinTrims() throws {
        let (stream, group) = try handFirstToDeadSubscriber(directory.file("pin.db"))
        try stream.publish(contentsOf: ["second", "third"].map { OutgoingEntry($0) }, trim: StreamTrim(maxLength: 1))
        #expect(try stream.read(from: 1).map(\.text) == ["third"])
        #expect(try group.get(limit: 10, timeout: .zero).map(\.text) == ["first", "second", "third"])
    }

    /// Makes every insert into `messages` fail (`failing`) or work again.
    private func failInserts(_ store: Store, _ failing: Bool) throws {
        try store.sqlite.write { connection in
            try connection.execute(failing ? """
                CREATE TRIGGER fail_inserts BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'refused'); END;
                """ : "DROP TRIGGER fail_inserts")
        }
    }

    @Test("an entry put back from a dead subscriber's seat by a transaction that fails is put back by the next one")
    func failedPutBackIsRetried() throws {
        let (stream, group) = try handFirstToDeadSubscriber(directory.file("putback.db"))
        let store = try Store.open(directory.file("putback.db"))
        try failInserts(store, true)
        #expect(throws: DQError.self) { try stream.trim(StreamTrim(maxLength: 10)) }
        try failInserts(store, false)
        #expect(try group.get(timeout: .zero).isEmpty, "not put back by the failed transaction")
        _ = try stream.trim(StreamTrim(maxLength: 10))
        #expect(try group.get(limit: 10, timeout: .zero).map(\.text) == ["first"], "put back by the next")
    }

    @Test("a claim left by a publish that failed is undone by the next publish, which hands its own entry")
    func failedClaimIsSettled() throws {
        let store = try Store.open(directory.file("claim.db"))
        let stream = try store.stream("events")
        let seated = try stream.group("alpha")
        let copied = try stream.group("zulu")
        let seats = try #require(store.sqlite.handoffs.value)
        let ticket = try #require(seats.register(group: StreamHandoffs.group(seated.queue.name)))
        // Groups are served in name order: alpha's seat is claimed, then zulu's copy fails.
        try failInserts(store, true)
        #expect(throws: DQError.self) { try stream.publish(Data("lost".utf8)) }
        try failInserts(store, false)
        guard case .claimed = seats.check(ticket) else { Issue.record("the failed publish left no claim"); return }
        try stream.publish(Data("second".utf8))
        guard case .handed(let entry, _) = seats.check(ticket) else { Issue.record("not handed"); return }
        #expect(try store.sqlite.loggedEntry(entry)?.body == Data("second".utf8))
        #expect(entry & StreamLog.maxSequence == 1, "the failed publish's sequence, written again")
        seats.vacate(ticket)
        #expect(try copied.get(limit: 10, timeout: .zero).map(\.text) == ["second"])
    }

    @Test("a subscriber that finds its seat claimed by a publish that failed settles it and waits on")
    func subscriberSettlesFailedClaim() throws {
        let path = directory.file("settle.db")
        let store = try Store.open(path)
        let stream = try store.stream("events")
        _ = try stream.group("alpha")
        _ = try stream.group("zulu")
        try failInserts(store, true)
        let subscriber = try Store.open(path).stream("events").group("alpha")
        let got = BackgroundGet(subscriber, timeout: .seconds(20))
        #expect(eventually { seated(store, subscriber) })
        #expect(throws: DQError.self) { try stream.publish(Data("lost".utf8)) }
        try failInserts(store, false)
        // The failed publish rang no bell: wake the subscriber to look.
        store.sqlite.doorbells.ring(subscriber.queue.name)
        let seats = try #require(store.sqlite.handoffs.value)
        #expect(eventually { seats.claims().isEmpty }, "the subscriber settled the claim on its next look")
        try stream.publish(Data("second".utf8))
        #expect(eventually { got.entries != nil })
        #expect(got.entries?.map(\.text) == ["second"])
    }

    @Test("two threads of one process sit in seats at once, of one group and of two, and each is handed an entry")
    func threadsOfOneProcess() throws {
        let path = directory.file("threads.db")
        let store = try Store.open(path)
        let stream = try store.stream("events")
        let billing = try stream.group("billing")
        let audit = try stream.group("audit")
        try countInserts(store)
        let subscriberStore = try Store.open(path)
        let got = Mutex<[String]>([])
        let done = Mutex(0)
        for group in ["billing", "billing", "audit"] {
            let subscriber = try subscriberStore.stream("events").group(group)
            Thread {
                let entries = (try? subscriber.get(timeout: .seconds(20))) ?? []
                got.withLock { $0 += entries.map { "\(group):\($0.text ?? "")" } }
                done.withLock { $0 += 1 }
            }.start()
        }
        let seats = try #require(store.sqlite.handoffs.value)
        func sitting(_ group: StreamGroup) -> Int { seats.waiting(group: StreamHandoffs.group(group.queue.name)) }
        #expect(eventually { sitting(billing) == 2 && sitting(audit) == 1 }, "three seats taken by one process")
        // Counted as one more waiter on the stream's bell: the billing subscriber left
        // waiting is never its only waiter, so the first publish's ring makes it look
        // (and stay seated) rather than leave its seat to take from its queue at once.
        store.sqlite.doorbells.willWait(on: billing.queue.name)
        defer { store.sqlite.doorbells.doneWaiting(on: billing.queue.name) }
        try stream.publish(Data("one".utf8))
        #expect(eventually { got.withLock { $0.count } == 2 }, "one billing subscriber and the audit one")
        #expect(try inserted(store) == 0, "both handed: no copy written")
        try stream.publish(Data("two".utf8))
        #expect(eventually { done.withLock { $0 } == 3 })
        #expect(got.withLock { $0.sorted() } == ["audit:one", "billing:one", "billing:two"])
        #expect(try inserted(store) == 1, "only audit's copy of the second entry, which nobody waited for")
    }

    @Test("a waiting subscriber takes over what its group's dead subscriber was handed, with no publish or trim")
    func subscriberTakesOverOrphan() throws {
        let (_, group) = try handFirstToDeadSubscriber(directory.file("takeover.db"))
        #expect(try group.get(timeout: .seconds(10)).map(\.text) == ["first"])
        #expect(try group.get(timeout: .zero).isEmpty, "once")
    }

    @Test("a seat handed an entry of a stream since dropped does not hand over its successor's entry of that number")
    func droppedStreamsOrphanIsDropped() throws {
        let path = directory.file("dropped.db")
        let (stream, _) = try handFirstToDeadSubscriber(path)
        try stream.drop()
        let again = try Store.open(path).stream("events")
        let group = try again.group("billing", from: .first)
        try again.publish(Data("new".utf8))
        #expect(try group.get(limit: 10, timeout: .zero).map(\.text) == ["new"], "not twice")
        #expect(try group.get(timeout: .milliseconds(50)).isEmpty, "the dead seat's entry is not read as the new one")
    }

    @Test("seats that hold an entry outlive every process: a dead subscriber's waiting seat is freed on the next mapping, its handed one kept")
    func remappingKeepsHandedSeats() throws {
        let path = directory.file("remap.db")
        // This process never maps the seats but as the subscriber below; `dq publish` does.
        let group = try Store.open(path).stream("events").group("billing")
        let seatsPath = path + "-wake/seats"
        let billing = StreamHandoffs.group(group.queue.name)
        // A subscriber process with two seats: one waiting, one handed "first".
        var other: StreamHandoffs? = try #require(StreamHandoffs(path: seatsPath))
        let handed = try #require(other?.register(group: billing))
        let publisher = try ChildProcess(Executables.dq, ["publish", "events", "first", "--db", path])
        #expect(publisher.wait().status == 0)
        guard case .handed = other?.check(handed) else { Issue.record("not handed"); return }
        _ = try #require(other?.register(group: billing))
        #expect(other?.waiting(group: billing) == 1)
        // Every process that mapped the seats goes.
        other = nil
        let remapped = try #require(StreamHandoffs(path: seatsPath))
        #expect(remapped.waiting(group: billing) == 0, "the waiting seat is freed")
        #expect(remapped.orphans(of: billing).map(\.ticket) == [handed], "the handed one is kept")
        #expect(remapped.oldestHanded(in: Int64.min...Int64.max, except: []) != nil, "and held against trims, dead or not")
    }

    @Test("a publish that must survive a power loss (sync full) hands nothing: every group gets its copy")
    func fullSyncHandsNothing() throws {
        let path = directory.file("full.db")
        let store = try Store.open(path, options: StoreOptions(durability: .full))
        let stream = try store.stream("events")
        let group = try stream.group("billing")
        let seats = try #require(store.sqlite.handoffs.value)
        let ticket = try #require(seats.register(group: StreamHandoffs.group(group.queue.name)))
        try stream.publish(Data("kept".utf8))
        #expect(seats.check(ticket) == .nothing)
        #expect(try group.get(timeout: .zero).map(\.text) == ["kept"])
    }

    @Test("a subscriber already seated takes over what its group's subscriber was handed and died holding")
    func seatedSubscriberTakesOverOrphan() throws {
        let path = directory.file("seated.db")
        let store = try Store.open(path)
        let stream = try store.stream("events")
        let group = try stream.group("billing")
        var other: StreamHandoffs? = try #require(StreamHandoffs(path: path + "-wake/seats"))
        _ = try #require(other?.register(group: StreamHandoffs.group(group.queue.name)))
        try stream.publish(Data("first".utf8))
        let subscriber = try Store.open(path).stream("events").group("billing")
        let got = BackgroundGet(subscriber, timeout: .seconds(30))
        #expect(eventually { seated(store, group) }, "seated while the other holds the entry")
        other = nil  // the other dies holding it: nothing rings
        #expect(eventually { got.entries != nil }, "read at the wait's re-check")
        #expect(got.entries?.map(\.text) == ["first"])
    }

    @Test("removing a group frees what its dead subscribers held: a group made again from the first entry gets it once")
    func removedGroupsOrphanIsFreed() throws {
        let path = directory.file("regroup.db")
        let (stream, _) = try handFirstToDeadSubscriber(path)
        #expect(try stream.removeGroup("billing"))
        let group = try stream.group("billing", from: .first)
        #expect(try group.get(limit: 10, timeout: .zero).map(\.text) == ["first"], "copied from the log")
        #expect(try group.get(timeout: .milliseconds(100)).isEmpty, "not again from the dead seat")
    }
}
