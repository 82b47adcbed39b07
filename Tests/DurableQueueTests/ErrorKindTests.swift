@testable import dq
import DurableQueue
import Foundation
import Testing

/// `DQError`'s kinds: which are retryable, the exit status `dq` gives each, and stored
/// values that do not decode. The faults that make each kind: `FaultTests`.
@Suite("Error kinds")
struct ErrorKindTests {
    let directory = TemporaryDirectory()

    /// Every kind, with whether it is retryable and dq's exit status for it.
    static let kinds: [(kind: DQError.Kind, retryable: Bool, status: Int32)] = [
        (.invalidArgument, false, 64), (.badStore, false, 65), (.invalidData, false, 65),
        (.permissionDenied, false, 73), (.diskFull, true, 73), (.resourceExhausted, true, 75),
        (.storeUnavailable, false, 73), (.timedOut, true, 75), (.cancelled, false, 70),
        (.staleReceipt, false, 65), (.internalError, false, 70),
    ]

    @Test("retryable: timed out, disk full and resource exhausted; nothing else")
    func retryable() {
        for (kind, retryable, _) in Self.kinds {
            #expect(kind.isRetryable == retryable, "\(kind)")
            #expect(DQError(kind, "x").isRetryable == retryable, "\(kind)")
        }
    }

    @Test("exit statuses: 65 for invalid data, 73 for permission denied and disk full, 75 for resource exhausted, 70 for cancelled")
    func exitStatuses() {
        for (kind, _, status) in Self.kinds {
            #expect(ErrorReport.exitCode(for: kind) == status, "\(kind)")
        }
    }

    struct Settings: Codable, Equatable {
        var workers: Int
        var names: [String]
    }

    @Test("a dict value that is not JSON of the type asked for is invalidData, naming the key, dict, type and why")
    func dictValueNotDecodable() throws {
        let dict = try Store(path: directory.file("store.db")).dict("config")
        try dict.set("text", "hello")
        try dict.set("typed", json: ["workers": "four"])
        try dict.set("nested", Data(#"{"workers": 4, "names": ["a", 2]}"#.utf8))
        try dict.set("partial", json: ["names": ["a"]])
        let expected = [
            "text": #"key "text" in dict "config" is not a Settings: the given data was not valid JSON"#,
            "typed": #"key "typed" in dict "config" is not a Settings: workers: expected to decode Int but found a string instead"#,
            "nested": #"key "nested" in dict "config" is not a Settings: names[1]: expected to decode String but found number instead"#,
            "partial": #"key "partial" in dict "config" is not a Settings: no value for "workers""#,
        ]
        for (key, message) in expected {
            let error = #expect(throws: DQError.self) { try dict.get(key, as: Settings.self) }
            #expect(error?.kind == .invalidData, "\(key)")
            #expect(error?.message == message)
            #expect(error?.isRetryable == false)
        }
        try dict.set("good", json: Settings(workers: 4, names: ["a"]))
        #expect(try dict.get("good", as: Settings.self) == Settings(workers: 4, names: ["a"]))
        #expect(try dict.get("absent", as: Settings.self) == nil)
        #expect(try dict.get("text") == Data("hello".utf8), "the value is left as it is")
    }

    @Test("a message body that is not JSON of the type asked for is invalidData; a value JSON cannot hold is invalidArgument")
    func messageNotDecodable() throws {
        let queue = try Store(path: directory.file("store.db")).queue("jobs")
        let put = try queue.put("not json")
        let message = try #require(try queue.get(timeout: .zero))
        let error = #expect(throws: DQError.self) { try message.decode(Settings.self) }
        #expect(error?.kind == .invalidData)
        #expect(error?.message == "message \(put.id) in queue jobs is not a Settings: the given data was not valid JSON")
        let unencodable = #expect(throws: DQError.self) { try queue.put(json: Double.nan) }
        #expect(unencodable?.kind == .invalidArgument)
        #expect(unencodable?.message == "cannot encode the message as JSON: unable to encode Double.nan directly in JSON")
        #expect(try queue.count() == 0, "nothing was stored")
    }
}
