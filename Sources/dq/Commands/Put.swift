import ArgumentParser
import DQSystem
import DurableQueue
import FoundationEssentials

extension UniqueUntil: ExpressibleByArgument {}

extension DQ {
    struct Put: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "put",
            abstract: "Put messages on a queue.",
            discussion: HelpExamples.discussion("put", """
                Each BODY argument is one message. With no BODY, all of standard input is one \
                message (binary-safe, may be empty); --lines makes each line a message and -0 \
                each NUL-terminated record (a final separator adds no empty message). All the \
                messages of one call are committed in one transaction. Prints nothing unless \
                --json, which prints {"id":N,"duplicate":false} per message.
                """))

        @OptionGroup var location: Location<Queue>

        @Argument(help: "Message bodies; none means read standard input.")
        var bodies: [String] = []

        @Flag(name: .long, help: "Read standard input as one message per line.")
        var lines = false

        @Flag(name: .customShort("0"), help: "Read standard input as NUL-separated messages.")
        var nulSeparated = false

        @Option(name: .long, parsing: .unconditional, help: "Higher priorities are delivered first (may be negative).")
        var priority: Int = 0

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Deliver no sooner than this (250ms, 5s, 2m, 1h30m, 1d).", valueName: "duration"),
                transform: Parse.duration)
        var delay: Duration = .zero

        @Option(name: .long, help: ArgumentHelp(
            "Dedup key: if a message with this key is still in the queue, add nothing and report its id.",
            valueName: "key"))
        var key: String?

        @Option(name: .long, help: ArgumentHelp(
            "How long --key keeps others out: until the message is done (acked, taken by a get, or dead; the default), or until it is first delivered (started).",
            valueName: "done|started"))
        var uniqueUntil: UniqueUntil?

        @Flag(name: .long, help: "Print one JSON object per message with its id.")
        var json = false

        /// The same request as `QuickPath` builds from a plain command line.
        var request: PutRequest {
            PutRequest(store: location.store, queue: location.name, bodies: bodies, lines: lines,
                       nulSeparated: nulSeparated, priority: priority, delay: delay, key: key, uniqueUntil: uniqueUntil,
                       json: json)
        }
    }
}

/// What one `dq put` asks for, however its command line was parsed (by ArgumentParser
/// for `DQ.Put`, or by `QuickPath`).
struct PutRequest: CommandRequest {
    var store: StoreChoice
    var queue: String
    var bodies: [String] = []
    var lines = false
    var nulSeparated = false
    var priority = 0
    var delay: Duration = .zero
    var key: String?
    var uniqueUntil: UniqueUntil?
    var json = false

    func validate() throws {
        if uniqueUntil != nil && key == nil { throw ValidationError("--unique-until applies to a --key") }
        if lines && nulSeparated { throw ValidationError("--lines and -0 cannot be combined") }
        if !bodies.isEmpty && (lines || nulSeparated) {
            throw ValidationError("--lines and -0 read standard input; do not also give BODY arguments")
        }
        if key != nil && bodies.count > 1 { throw ValidationError("--key applies to one message; give one BODY") }
        if let key, RawArguments.wasRepaired(key) { throw ValidationError("--key is not valid UTF-8") }
    }

    func run() throws {
        // On a terminal, a large input shows how far reading and storing have got.
        let progress = ProgressLine()
        let reading: ((Int) -> Void)? = progress.isEnabled ? { bytes in
            guard bytes >= 1 << 20 else { return }
            progress.throttled("reading standard input: \(bytes >> 20) MiB …")
        } : nil
        if bodies.isEmpty {
            noteReadingTerminal("put", lines ? "one message per line" : nulSeparated ? "NUL-separated messages" : "the message")
        }
        let payloads = bodies.isEmpty ? Self.split(readStandardInput(progress: reading), lines: lines, nul: nulSeparated)
                                      : RawArguments.bytes(of: bodies)
        if key != nil && payloads.count != 1 {
            throw ValidationError("--key applies to one message; standard input held \(payloads.count)")
        }
        let messages = payloads.map {
            OutgoingMessage($0, priority: priority, delay: delay, key: key, uniqueUntil: uniqueUntil ?? .done)
        }
        let store = try store.open()
        let total = messages.count
        let storing: ((Int) -> Void)? = progress.isEnabled ? { done in
            progress.throttled("storing \(done) of \(total) messages …")
        } : nil
        defer { progress.clear() }
        let results = try store.queue(queue).put(contentsOf: messages, progress: storing)
        if json { try Self.printJSON(results) }
    }

    /// `--json`: one `{"id":N,"duplicate":false}` line per message. Not inlined, so a
    /// plain put does not instantiate the Codable types' metadata (a search of every
    /// protocol conformance in the binary, at each start).
    @inline(never)
    static func printJSON(_ results: [PutResult]) throws {
        try Output.standardOutput.writeJSONLines(results.lazy.map { PutResultJSON(id: $0.id, duplicate: $0.duplicate) })
    }

    /// Splits standard input into message bodies.
    static func split(_ input: Data, lines: Bool, nul: Bool) -> [Data] {
        guard lines || nul else { return [input] }
        let separator: UInt8 = nul ? 0 : UInt8(ascii: "\n")
        var parts = input.split(separator: separator, omittingEmptySubsequences: false).map { Data($0) }
        if input.last == separator || input.isEmpty { parts.removeLast() }
        return parts
    }
}

/// One message's line of `put --json`: `{"id":"N","duplicate":false}` (ids are strings
/// in every JSON output: they exceed 2^53, past which JSON tools round numbers).
struct PutResultJSON: Encodable {
    let id: String
    let duplicate: Bool

    init(id: Int64, duplicate: Bool) {
        self.id = String(id)
        self.duplicate = duplicate
    }
}
