import Foundation
import Logging
import Synchronization
import Testing
@testable import DurableQueue

/// The library reports through the caller's swift-log Logger, and prints nothing itself.
@Suite("Logging")
struct LoggingTests {
    let directory = TemporaryDirectory()

    /// Keeps every message logged to it, as `LEVEL: MESSAGE` and with its metadata.
    final class Capture: Sendable {
        let messages = Mutex<[String]>([])
        let records = Mutex<[Record]>([])
    }

    /// One logged message, its metadata values as text.
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    struct CaptureHandler: LogHandler {
        let capture: Capture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.messages.withLock { $0.append("\(event.level): \(event.message)") }
            let metadata = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            capture.records.withLock { $0.append(Record(level: event.level, message: "\(event.message)", metadata: metadata)) }
        }
    }

    @Test("space reclaim is reported to the logger passed in")
    func reclaimIsLogged() throws {
        let capture = Capture()
        let logger = Logger(label: "test") { _ in CaptureHandler(capture: capture) }
        let store = try Store(path: directory.file("store.db"), options: StoreOptions(logger: logger))
        let queue = try store.queue("q")
        for _ in 0..<60 { try queue.put(contentsOf: Array(repeating: OutgoingMessage(Data(count: 100)), count: 1_000)) }
        // The empty get asks for the space back on a background thread.
        while try !queue.get(limit: 1_000, timeout: .zero).isEmpty {}
        #expect(eventually { capture.messages.withLock { $0.contains { $0.contains("returned free pages") } } },
                "\(capture.messages.withLock { $0 })")
    }

    @Test("by default nothing is printed")
    func silentByDefault() throws {
        let result = try ChildProcess(Executables.helper, ["produce", directory.file("store.db"), "q", "p", "10"]).wait()
        #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty)
    }
}
