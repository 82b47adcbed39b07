import DurableQueue
import DurableQueuePostgres
import Foundation
import Testing

/// Producers and consumers as separate OS processes sharing one store.
@Suite("Multiple processes")
struct MultiProcessTests {
    let directory = TemporaryDirectory()

    @Test("2 producers and 2 consumers: every message exactly once, each producer's order kept", arguments: EngineUnderTest.allCases)
    func producersAndConsumers(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        let perProducer = 500
        let stop = "__stop__"
        let consumers = try (0..<2).map { _ in
            try ChildProcess(Executables.helper, ["consume", db, "work", stop, "20000"])
        }
        let producers = try ["A", "B"].map { prefix in
            try ChildProcess(Executables.helper, ["produce", db, "work", prefix, String(perProducer)])
        }
        for producer in producers {
            let result = producer.wait()
            #expect(result.status == 0, "producer: \(result.stderrText)")
        }
        // Both producers are done, so the stop markers come after every message (FIFO).
        #expect(try dq(["put", "work", stop, stop, "--db", db]).status == 0)

        var received: [String] = []
        for consumer in consumers {
            let result = consumer.wait()
            #expect(result.status == 0, "consumer: \(result.stderrText)")
            var lastID: Int64 = 0
            var lastIndex: [Substring: Int] = [:]
            for line in result.stdoutText.split(separator: "\n") {
                let parts = line.split(separator: " ")
                let id = Int64(parts[0])!
                #expect(id > lastID, "ids must increase within one consumer")
                lastID = id
                let body = parts[1].split(separator: "-")
                let (producer, index) = (body[0], Int(body[1])!)
                #expect(index > lastIndex[producer, default: -1], "producer \(producer) out of order")
                lastIndex[producer] = index
                received.append(String(parts[1]))
            }
        }
        let expected = ["A", "B"].flatMap { prefix in (0..<perProducer).map { String(format: "%@-%06d", prefix, $0) } }
        #expect(received.count == expected.count)
        let missing = Set(expected).subtracting(received)
        #expect(missing.isEmpty, "\(missing.count) never received, for example \(missing.sorted().prefix(5))")
        #expect(Set(received).count == received.count, "some message was received twice")
        #expect(try dq(["len", "work", "--db", db]).stdoutText == "0\n")
    }

    @Test("8 processes creating the same new store at once all succeed", arguments: EngineUnderTest.allCases)
    func simultaneousCreation(engine: EngineUnderTest) throws {
        let db = engine == .sqlite ? directory.file("new/store.db") : engine.place(in: directory)
        let putters = try (0..<8).map { index in try ChildProcess(Executables.dq, ["put", "q", "p\(index)", "--db", db]) }
        for putter in putters {
            let result = putter.wait()
            #expect(result.status == 0, "\(result.stderrText)")
        }
        #expect(try dq(["len", "q", "--db", db]).stdoutText == "8\n")
    }
}

/// Several processes mixing every way of putting and taking, then the invariants.
@Suite("Stress")
struct StressTests {
    let directory = TemporaryDirectory()

    @Test("2 producers and 3 consumers mixing single and batch puts, priorities, gets, batch gets, leases, acks and nacks: every message taken exactly once, integrity ok", arguments: EngineUnderTest.allCases)
    func mixedOperations(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        _ = try dq(["purge", "stress", "--db", db])  // creates the store
        let consumers = try (1...3).map { seed in try ChildProcess(Executables.helper, ["stress-consume", db, "\(seed)"]) }
        let producers = try ["a", "b"].enumerated().map { index, prefix in
            try ChildProcess(Executables.helper, ["stress-produce", db, prefix, "1500", "\(index + 7)"])
        }
        for producer in producers { #expect(producer.wait().status == 0) }
        #expect(try dq(["event", "set", "stress-done", "--db", db]).status == 0)
        var taken: [String] = []
        for consumer in consumers {
            let result = consumer.wait()
            #expect(result.status == 0, "\(result.stderrText)")
            taken += result.stdoutText.split(separator: "\n").map(String.init)
        }
        let expected = ["a", "b"].flatMap { prefix in (0..<1500).map { "\(prefix)-\($0)" } }
        #expect(taken.count == expected.count, "taken \(taken.count) of \(expected.count)")
        let missing = Set(expected).subtracting(taken)
        let dead = try Store.open(db).queue("stress").deadLetters().compactMap(\.message.text)
        #expect(missing.isEmpty, "\(missing.count) lost, for example \(missing.sorted().prefix(5)); dead letters: \(dead)")
        #expect(Set(taken).count == taken.count, "\(taken.count - Set(taken).count) taken twice")
        #expect(try Store.open(db).integrityCheck() == "ok")
    }
}
