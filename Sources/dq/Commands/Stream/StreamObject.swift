import DurableQueue
import FoundationEssentials

extension DurableQueue.Stream: StoreObject {
    static var argumentName: String { "stream" }
    static var argumentHelp: String { "The stream's name (1-200 bytes of UTF-8, no control characters; made by its first publish or group)." }
    static func open(_ name: String, in store: Store) throws -> DurableQueue.Stream { try store.stream(name) }
    static func names(in stats: StoreStats) -> [String] { [] }
}

/// Prints stream entries: bodies framed as `get` frames them, or one JSON object each.
struct EntryPrinter {
    var json: Bool
    var framing: Framing
    var group: String?

    func print(_ entries: [StreamEntry]) throws {
        guard !entries.isEmpty else { return }
        if json { return try Output.standardOutput.writeJSONLines(entries.lazy.map { EntryJSON($0, group: group) }) }
        var out = Data()
        for entry in entries { framing.append(entry.body, to: &out) }
        Output.standardOutput.write(out)
    }

    /// Leased entries: always JSON, with `"receipt"` and `"leased_until"`.
    func print(_ leased: [LeasedEntry]) throws {
        guard !leased.isEmpty else { return }
        try Output.standardOutput.writeJSONLines(leased.lazy.map { EntryJSON($0.entry, group: group, lease: $0) })
    }
}

/// An entry as `subscribe --json` and `read --json` print it: `{"stream":…,"seq":N,
/// "published_at":…,"body":…}`, with `"group"` and `"attempt"` when delivered to a group,
/// `"receipt"` and `"leased_until"` when leased; `"body_base64"` for a body that is not UTF-8.
struct EntryJSON: Encodable {
    let stream: String
    let group: String?
    let seq: Int64
    let attempt: Int?
    let publishedAt: String
    let receipt: String?
    let leasedUntil: String?
    var deadAt: String?
    var lastError: String?
    let body: String?
    let bodyBase64: String?

    enum CodingKeys: String, CodingKey {
        case stream, group, seq, attempt, publishedAt = "published_at", receipt, leasedUntil = "leased_until"
        case deadAt = "dead_at", lastError = "last_error", body, bodyBase64 = "body_base64"
    }

    init(_ entry: StreamEntry, group: String?, lease: LeasedEntry? = nil) {
        stream = entry.stream
        self.group = group
        seq = entry.sequence
        attempt = group == nil ? nil : entry.attempt
        publishedAt = JSONText.timestamp(entry.publishedAt)
        receipt = lease?.receipt.description
        leasedUntil = lease.map { JSONText.timestamp($0.leasedUntil) }
        let body = JSONBytes(entry.body)
        self.body = body.text
        bodyBase64 = body.base64
    }
}
