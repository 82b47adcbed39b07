import Foundation
import PropertyBased
import Testing
@testable import DurableQueue

/// Random operation sequences against a simple in-memory model, and the text parsers
/// against their definitions.
@Suite("Properties")
struct PropertyTests {
    /// The model: what a queue must hold and hand out.
    struct Model {
        struct Item { let id: Int64; let priority: Int; let body: String; var leased = false; var attempts = 0 }
        var items: [Item] = []

        /// The next deliverable item: highest priority, then oldest.
        var next: Int? {
            items.indices.filter { !items[$0].leased }.min { a, b in
                let (x, y) = (items[a], items[b])
                return x.priority != y.priority ? x.priority > y.priority : x.id < y.id
            }
        }
    }

    @Test("put / get / lease / ack / nack / release / peek / count agree with the model")
    func queueAgainstModel() async throws {
        await propertyCheck(count: 60, input: Gen.int(in: 0...999).array(of: 1...80)) { operations in
            let directory = TemporaryDirectory()
            let queue = try Store(path: directory.file("store.db")).queue("q")
            var model = Model()
            var leases: [(receipt: Receipt, id: Int64)] = []
            for (step, code) in operations.enumerated() {
                switch code % 8 {
                case 0, 1:  // put with priority 0…2
                    let priority = code / 8 % 3
                    let body = "m\(step)"
                    let result = try queue.put(body, priority: priority)
                    model.items.append(.init(id: result.id, priority: priority, body: body))
                case 2:  // get (auto-ack)
                    let got = try await queue.get(timeout: .zero)
                    if let index = model.next {
                        #expect(got?.text == model.items[index].body)
                        #expect(got?.attempt == model.items[index].attempts + 1)
                        model.items.remove(at: index)
                    } else {
                        #expect(got == nil)
                    }
                case 3:  // lease
                    // Past its attempts a message goes to the dead letters: the model has none.
                    let leased = try await queue.receive(lease: .seconds(3600), timeout: .zero, maxAttempts: 1_000).first
                    if let index = model.next {
                        #expect(leased?.message.text == model.items[index].body)
                        model.items[index].leased = true
                        model.items[index].attempts += 1
                        #expect(leased?.message.attempt == model.items[index].attempts)
                        if let leased { leases.append((leased.receipt, leased.message.id)) }
                    } else {
                        #expect(leased == nil)
                    }
                case 4, 5, 6:  // settle an outstanding lease: ack, nack, release
                    guard !leases.isEmpty else { continue }
                    let (receipt, id) = leases.remove(at: code / 8 % leases.count)
                    let index = try #require(model.items.firstIndex { $0.id == id })
                    switch code % 8 {
                    case 4:
                        try queue.ack(receipt)
                        model.items.remove(at: index)
                    case 5:
                        try queue.nack(receipt, maxAttempts: 1_000)
                        model.items[index].leased = false
                    default:
                        try queue.release(receipt)
                        model.items[index].leased = false
                        model.items[index].attempts -= 1
                    }
                    // A settled receipt is stale from now on.
                    #expect(throws: DQError.self) { try queue.ack(receipt) }
                default:  // look without changing anything
                    #expect(try queue.count() == model.items.filter { !$0.leased }.count)
                    #expect(try queue.peek().first?.text == model.next.map { model.items[$0].body })
                }
            }
        }
    }

    @Test("durations: N with a unit parses to exactly N of that unit")
    func durations() async {
        await propertyCheck(input: Gen.int(in: 0...100_000_000)) { n in
            #expect(try DurationText.parse("\(n)us") == .microseconds(n))
            #expect(try DurationText.parse("\(n)ms") == .milliseconds(n))
            #expect(try DurationText.parse("\(n)") == .seconds(n))
            let formatted = DurationText.format(.microseconds(n))
            let back = try Timestamp.microseconds(DurationText.parse(formatted))
            #expect(abs(Double(back - Int64(n))) <= Double(n) * 0.05 + 1, "\(n) → \(formatted)")
        }
    }

    @Test("names: accepted exactly when 1–200 bytes of UTF-8 without control characters")
    func names() async {
        let scalars = Gen.unicodeScalar(in: "\u{0}"..."\u{2FF}")
        await propertyCheck(input: scalars.array(of: 0...220)) { characters in
            let name = String(String.UnicodeScalarView(characters))
            let valid = (1...200).contains(name.utf8.count)
                && !name.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
            do {
                try Names.validate(name, what: "name")
                #expect(valid, "accepted \(name.debugDescription)")
            } catch {
                #expect(!valid, "refused \(name.debugDescription): \(error)")
            }
        }
    }
}
