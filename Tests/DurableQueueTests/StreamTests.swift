import Foundation
import Testing
@testable import DurableQueue

/// Streams through the library, on every engine: numbering, groups and where they
/// start, fan-out, leases and dead letters within a group, trimming, dedup.
@Suite("Streams")
struct StreamTests {
    let directory = TemporaryDirectory()

    @Test("entries are numbered from 1; a group gets what is published after it, or the log from --from", arguments: EngineUnderTest.allCases)
    func numberingAndStarts(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let stream = try store.stream("orders")
        let late = try stream.group("late")
        #expect(try stream.publish(contentsOf: ["a", "b", "c"].map { OutgoingEntry($0) }).map(\.sequence) == [1, 2, 3])
        #expect(try stream.publish("d").sequence == 4)
        #expect(try late.get(limit: 10, timeout: .zero).map(\.sequence) == [1, 2, 3, 4])
        let fromLast = try stream.group("from-last")
        let fromFirst = try stream.group("from-first", from: .first)
        let fromThird = try stream.group("from-third", from: .sequence(3))
        #expect(try stream.group("from-first", from: .sequence(4)).name == "from-first", "an existing group keeps its place")
        let ahead = try stream.group("ahead", from: .sequence(7))
        try stream.publish("e")
        #expect(try fromLast.get(limit: 10, timeout: .zero).map(\.text) == ["e"])
        #expect(try fromFirst.get(limit: 10, timeout: .zero).map(\.text) == ["a", "b", "c", "d", "e"])
        let third = try fromThird.get(limit: 10, timeout: .zero)
        #expect(third.map(\.sequence) == [3, 4, 5])
        #expect(third.allSatisfy { $0.stream == "orders" && $0.attempt == 1 })
        // Replay changes nothing: every group has nothing left, the log is whole.
        #expect(try stream.read(from: 2, limit: 2).map(\.text) == ["b", "c"])
        #expect(try stream.read().count == 5)
        #expect(try late.get(limit: 10, timeout: .zero).map(\.text) == ["e"])
        // A group made from a sequence not yet published gets nothing before it.
        try stream.publish(contentsOf: ["f", "g", "h"].map { OutgoingEntry($0) })
        #expect(try ahead.get(limit: 10, timeout: .zero).map(\.sequence) == [7, 8])
        #expect(try store.streams() == ["orders"])
        let status = try stream.status()
        #expect(status.lastSequence == 8 && status.firstSequence == 1 && status.length == 8)
        #expect(status.groups == ["ahead", "from-first", "from-last", "from-third", "late"])
    }

    @Test("publishes through two stores in turn are numbered without a gap; each sees the other's new group and dropped stream",
          arguments: EngineUnderTest.allCases)
    func publishersInTurn(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let one = try engine.open(place).stream("orders")
        let other = try engine.open(place).stream("orders")
        #expect(try one.publish("a").sequence == 1)
        #expect(try one.publish("b").sequence == 2)
        #expect(try other.publish("c").sequence == 3)
        #expect(try one.publish("d").sequence == 4, "after the other store's publish")
        let group = try other.group("billing")
        try one.publish("e")
        #expect(try group.get(limit: 10, timeout: .zero).map(\.text) == ["e"], "copied to the group the other store made")
        #expect(try other.drop() == 5)
        #expect(try one.publish("f").sequence == 1, "the stream starts again after the other store dropped it")
        #expect(try one.read().map(\.text) == ["f"])
        #expect(try one.drop() == 1)
        #expect(try one.publish("g").sequence == 1, "and after this store dropped it")
    }

    @Test("streams that take turns on one store keep their numbers, whichever stream's entries end the log table",
          arguments: EngineUnderTest.allCases)
    func streamsInTurn(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let store = try engine.open(place)
        let first = try store.stream("first")
        let second = try store.stream("second")
        #expect(try first.publish("f1").sequence == 1)
        #expect(try first.publish("f2").sequence == 2)
        #expect(try second.publish("s1").sequence == 1)
        #expect(try second.publish("s2").sequence == 2)
        // The first stream's entries now sit before the second's in the log table.
        #expect(try first.publish("f3").sequence == 3)
        #expect(try first.publish(contentsOf: ["f4", "f5"].map { OutgoingEntry($0) }).map(\.sequence) == [4, 5])
        #expect(try second.publish("s3").sequence == 3)
        #expect(try first.trim(StreamTrim(maxLength: 1)) == 4)
        #expect(try first.publish("f6").sequence == 6)
        #expect(try second.publish("s4").sequence == 4)
        #expect(try second.publish("s5").sequence == 5, "one after another at the table's end")
        #expect(try engine.open(place).stream("second").publish("s6").sequence == 6, "through another store")
        #expect(try second.publish("s7").sequence == 7)
        #expect(try first.read().map(\.text) == ["f5", "f6"])
        #expect(try first.read().map(\.sequence) == [5, 6])
        #expect(try second.read().map(\.text) == (1...7).map { "s\($0)" })
        #expect(try second.read().map(\.sequence) == Array(1...7))
        // A publish that trims its stream to nothing leaves the table's end behind it.
        #expect(try second.publish(contentsOf: [OutgoingEntry("s8")], trim: StreamTrim(maxLength: 0)).map(\.sequence) == [8])
        #expect(try second.publish("s9").sequence == 9)
        #expect(try second.read().map(\.text) == ["s9"])
    }

    @Test("each group's queue counts every entry published to it, one at a time or in a batch", arguments: EngineUnderTest.allCases)
    func groupTraffic(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let stream = try store.stream("orders")
        let billing = try stream.group("billing")
        let shipping = try stream.group("shipping")
        for body in ["a", "b", "c"] { try stream.publish(Data(body.utf8)) }
        try stream.publish(contentsOf: ["d", "e"].map { OutgoingEntry($0) })
        #expect(billing.queue.traffic().added == 5)
        #expect(shipping.queue.traffic().added == 5)
        #expect(try billing.get(limit: 10, timeout: .zero).count == 5)
        #expect(try shipping.get(limit: 10, timeout: .zero).map(\.text) == ["a", "b", "c", "d", "e"])
    }

    @Test("every group gets every entry once; a group's subscribers share its entries", arguments: EngineUnderTest.allCases)
    func fanOut(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let store = try engine.open(place)
        let other = try engine.open(place)
        let stream = try store.stream("events")
        let groups = try ["a", "b", "c"].map { try stream.group($0) }
        try stream.publish(contentsOf: (1...30).map { OutgoingEntry("e\($0)") })
        for group in groups {
            let first = try group.get(limit: 10, timeout: .zero)
            let second = try other.stream("events").group(group.name).get(limit: 100, timeout: .zero)
            #expect(first.count == 10 && second.count == 20)
            #expect((first + second).map(\.sequence) == Array(1...30))
        }
    }

    @Test("groups made from the first entry while a publisher runs get every entry exactly once", arguments: EngineUnderTest.allCases)
    func groupsMadeDuringPublishing(engine: EngineUnderTest) throws {
        let place = engine.place(in: directory)
        let publisher = try engine.open(place).stream("busy")
        let reader = try engine.open(place).stream("busy")
        let total = 600
        let published = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for index in 1...total { _ = try? publisher.publish("\(index)") }
            published.signal()
        }
        // Groups made one after another while entries keep coming, each from the first.
        var groups: [StreamGroup] = []
        let deadline = Date().addingTimeInterval(60)
        while groups.count < 5 && Date() < deadline {
            if try reader.status().lastSequence >= Int64(groups.count * total / 6) {
                groups.append(try reader.group("g\(groups.count)", from: .first))
            }
        }
        #expect(published.wait(timeout: .now() + 60) == .success)
        #expect(try reader.status().lastSequence == Int64(total))
        for group in groups {
            var seen: [Int64] = []
            while case let batch = try group.get(limit: 1_000, timeout: .zero), !batch.isEmpty { seen += batch.map(\.sequence) }
            #expect(seen == (1...Int64(total)).map { $0 }, "\(group.name): \(seen.count) entries, \(Set(seen).count) distinct")
        }
    }

    @Test("leases within a group: ack, nack with delay, extend, stale and foreign receipts, dead letters", arguments: EngineUnderTest.allCases)
    func leases(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let stream = try store.stream("jobs")
        let work = try stream.group("work")
        let other = try stream.group("other")
        try stream.publish(contentsOf: ["one", "two"].map { OutgoingEntry($0) })
        let first = try #require(try work.receive(lease: .seconds(30), timeout: .zero).first)
        #expect(first.entry.text == "one" && first.receipt.group == "work")
        #expect(StreamReceipt(first.receipt.description) == first.receipt)
        #expect(throws: DQError.self) { try other.ack(first.receipt) }
        let relabelled = StreamReceipt(group: "other", receipt: first.receipt.receipt)
        let foreign = #expect(throws: DQError.self) { try other.ack(relabelled) }
        #expect(foreign?.message == "receipt \(relabelled) is from group work of stream jobs, not group other of stream jobs")
        try work.extend(first.receipt, by: .seconds(60))
        try work.nack(first.receipt, delay: .milliseconds(300))
        #expect(throws: DQError.self) { try work.ack(first.receipt) }
        let second = try #require(try work.receive(lease: .seconds(30), timeout: .zero).first)
        #expect(second.entry.text == "two")
        let again = try #require(try work.receive(lease: .seconds(30), timeout: .seconds(5), acking: [second.receipt]).first)
        #expect(again.entry.sequence == 1 && again.entry.attempt == 2)
        try stream.ack(again.receipt)
        #expect(try work.get(timeout: .zero).isEmpty)
        #expect(try other.get(limit: 5, timeout: .zero).count == 2, "the other group is untouched")

        try stream.publish("poison")
        for _ in 0..<2 {
            let leased = try #require(try work.receive(lease: .seconds(30), timeout: .zero, maxAttempts: 2).first)
            try work.nack(leased.receipt, maxAttempts: 2, failure: DeliveryFailure("bad input"))
        }
        let dead = try work.deadLetters()
        #expect(dead.map(\.entry.text) == ["poison"] && dead.first?.entry.sequence == 3 && dead.first?.lastError == "bad input")
        #expect(try stream.groups().first { $0.name == "work" }?.dead == 1)
        #expect(try work.retryDead() == 1)
        let retried = try #require(try work.get(timeout: .zero).first)
        #expect(retried.sequence == 3 && retried.text == "poison")
        try stream.publish("again")
        let leased = try #require(try work.receive(lease: .seconds(30), timeout: .zero, maxAttempts: 1).first)
        try work.nack(leased.receipt, maxAttempts: 1)
        #expect(try work.purgeDead() == 1)
    }

    @Test("groups say what each was handed, holds leased, has waiting", arguments: EngineUnderTest.allCases)
    func groupStatus(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let stream = try store.stream("s")
        let group = try stream.group("g")
        let idle = try stream.group("idle")
        try stream.publish(contentsOf: (1...5).map { OutgoingEntry("\($0)") })
        _ = try group.get(limit: 2, timeout: .zero)
        _ = try group.receive(lease: .seconds(30), timeout: .zero)
        let status = try stream.groups()
        #expect(status.map(\.name) == ["g", "idle"])
        #expect(status[0].delivered == 3 && status[0].pending == 1 && status[0].lag == 2 && status[0].dead == 0)
        #expect(status[1].delivered == 0 && status[1].pending == 0 && status[1].lag == 5)
        #expect(try stream.removeGroup("idle"))
        #expect(try !stream.removeGroup("idle"))
        try stream.publish("6")
        #expect(try stream.groups().map(\.name) == ["g"])
        #expect(try store.stats().queues.filter { $0.name.contains("idle") }.isEmpty, "a removed group leaves no queue")
        _ = idle
    }

    @Test("trim by length, age and acks drops log entries only; groups keep theirs", arguments: EngineUnderTest.allCases)
    func trimming(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let stream = try store.stream("log")
        let slow = try stream.group("slow")
        try stream.publish(contentsOf: (1...10).map { OutgoingEntry("\($0)") })
        #expect(try stream.trim(StreamTrim(maxLength: 4)) == 6)
        #expect(try stream.read().map(\.sequence) == [7, 8, 9, 10])
        #expect(try slow.get(limit: 100, timeout: .zero).count == 10, "the group kept the entries trimmed from the log")
        #expect(try stream.group("new", from: .first).get(limit: 100, timeout: .zero).map(\.sequence) == [7, 8, 9, 10])

        #expect(try stream.trim(StreamTrim(maxAge: .seconds(3_600))) == 0)
        Thread.sleep(forTimeInterval: 0.05)   // the entries must be older than the age below
        #expect(try stream.trim(StreamTrim(maxAge: .milliseconds(20))) == 4)
        #expect(try stream.read().isEmpty)
        #expect(try stream.status().lastSequence == 10, "numbers are not reused")
        try stream.publish(contentsOf: (11...15).map { OutgoingEntry("\($0)") }, trim: StreamTrim(maxLength: 3))
        #expect(try stream.read().map(\.sequence) == [13, 14, 15])

        // Acked: each group's oldest entry still held bounds what goes.
        _ = try slow.get(limit: 3, timeout: .zero)                               // slow holds 14, 15
        let held = try #require(try stream.group("new").receive(lease: .seconds(30), timeout: .zero).first)
        #expect(held.entry.sequence == 11)
        #expect(try stream.trim(StreamTrim(acked: true)) == 0, "new still holds 11 leased")
        try stream.group("new").ack(held.receipt)
        _ = try stream.group("new").get(limit: 3, timeout: .zero)               // new holds 15
        #expect(try stream.trim(StreamTrim(acked: true)) == 1)                  // 13 goes, 14 is slow's
        #expect(try stream.read().map(\.sequence) == [14, 15])
        #expect(try stream.drop() == 2)
        #expect(try store.streams().isEmpty)
        #expect(try store.stats().queues.isEmpty, "a dropped stream leaves no queue")
    }

    @Test("a batch of 25,000 is published whole, numbered in order; a group made from the first copies it all", arguments: EngineUnderTest.allCases)
    func largeBatch(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let stream = try store.stream("big")
        let live = try stream.group("live")
        let results = try stream.publish(contentsOf: (1...25_000).map { OutgoingEntry("\($0)") })
        #expect(results.map(\.sequence) == Array(1...25_000))
        #expect(try stream.status().length == 25_000)
        let replay = try stream.group("replay", from: .first)
        for group in [live, replay] {
            var seen: [Int64] = []
            while case let batch = try group.get(limit: 5_000, timeout: .zero), !batch.isEmpty { seen += batch.map(\.sequence) }
            #expect(seen == Array(1...25_000), "\(group.name): \(seen.count)")
        }
    }

    @Test("a key published within the dedup window adds nothing", arguments: EngineUnderTest.allCases)
    func dedup(engine: EngineUnderTest) throws {
        let store = try engine.open(engine.place(in: directory))
        let stream = try store.stream("d")
        let group = try stream.group("g")
        #expect(try stream.publish("x", key: "k") == PublishResult(sequence: 1, duplicate: false))
        #expect(try stream.publish("x", key: "k") == PublishResult(sequence: 1, duplicate: true))
        #expect(try stream.publish(contentsOf: [OutgoingEntry("y", key: "k")], dedupWindow: .zero).first?.duplicate == false)
        #expect(try group.get(limit: 10, timeout: .zero).map(\.sequence) == [1, 2])
        // A duplicate publish still trims as it was asked to.
        let result = try stream.publish(contentsOf: [OutgoingEntry("y", key: "k")], trim: StreamTrim(maxLength: 1))
        #expect(result == [PublishResult(sequence: 2, duplicate: true)])
        #expect(try stream.read().map(\.sequence) == [2])
    }

    @Test("a subscription is an AsyncSequence of leased entries", arguments: EngineUnderTest.allCases)
    func subscription(engine: EngineUnderTest) async throws {
        let store = try engine.open(engine.place(in: directory))
        let stream = try store.stream("async")
        let group = try stream.group("g")
        try stream.publish(contentsOf: (1...3).map { OutgoingEntry("\($0)") })
        var seen: [Int64] = []
        for try await leased in group.subscription(lease: .seconds(30)) {
            seen.append(leased.entry.sequence)
            try group.ack(leased.receipt)
            if seen.count == 3 { break }
        }
        #expect(seen == [1, 2, 3])
        #expect(try await group.get(timeout: .zero).isEmpty)
    }

    @Test("bad names, limits and trims are refused")
    func badInput() throws {
        let store = try EngineUnderTest.sqlite.open(directory.file("bad.db"))
        #expect(throws: DQError.self) { try store.stream("") }
        #expect(throws: DQError.self) { try store.stream("s").group("a\u{1}b") }
        #expect(throws: DQError.self) { try store.stream("s").read(limit: 0) }
        #expect(throws: DQError.self) { try store.stream("s").trim(StreamTrim(maxLength: -1)) }
        #expect(StreamReceipt("nocolon") == nil && StreamReceipt(":1-2-3") == nil)
        #expect(StreamStart(parsing: "first") == .first && StreamStart(parsing: "7") == .sequence(7) && StreamStart(parsing: "0") == nil)
    }
}
