import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ {
    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract: "Append entries to a stream; every group of the stream gets each one.",
            discussion: HelpExamples.discussion("publish", """
                Each BODY argument is one entry. With no BODY, all of standard input is one \
                entry; --lines makes each line an entry and -0 each NUL-terminated record. \
                All the entries of one call are committed in one transaction, numbered 1, 2, \
                3, … within the stream. Prints nothing unless --json, which prints \
                {"seq":N,"duplicate":false} per entry. --max-len, --max-age and --retain \
                acked trim the log as it goes (see dq trim).
                """))

        @OptionGroup var location: Location<DurableQueue.Stream>

        @Argument(help: "Entry bodies; none means read standard input.")
        var bodies: [String] = []

        @Flag(name: .long, help: "Read standard input as one entry per line.")
        var lines = false

        @Flag(name: .customShort("0"), help: "Read standard input as NUL-separated entries.")
        var nulSeparated = false

        @Option(name: .long, help: ArgumentHelp("Dedup key: if an entry published within --dedup-window holds it, add nothing and report its seq.", valueName: "key"))
        var key: String?

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("How far back --key looks (default 5m).", valueName: "duration"),
                transform: Parse.duration)
        var dedupWindow: Duration = DurableQueue.Stream.defaultDedupWindow

        @OptionGroup var trim: TrimOptions

        @Flag(name: .long, help: "Print one JSON object per entry with its seq.")
        var json = false

        func validate() throws {
            if lines && nulSeparated { throw ValidationError("--lines and -0 cannot be combined") }
            if !bodies.isEmpty && (lines || nulSeparated) {
                throw ValidationError("--lines and -0 read standard input; do not also give BODY arguments")
            }
            if key != nil && bodies.count > 1 { throw ValidationError("--key applies to one entry; give one BODY") }
            if let key, RawArguments.wasRepaired(key) { throw ValidationError("--key is not valid UTF-8") }
        }

        func run() throws {
            if bodies.isEmpty {
                noteReadingTerminal("publish", lines ? "one entry per line" : nulSeparated ? "NUL-separated entries" : "the entry")
            }
            let payloads = bodies.isEmpty ? PutRequest.split(readStandardInput(), lines: lines, nul: nulSeparated)
                                          : RawArguments.bytes(of: bodies)
            if key != nil && payloads.count != 1 {
                throw ValidationError("--key applies to one entry; standard input held \(payloads.count)")
            }
            let stream = try location.open()
            let results = try stream.publish(contentsOf: payloads.map { OutgoingEntry($0, key: key) }, dedupWindow: dedupWindow,
                                             trim: trim.isEmpty ? nil : trim.value)
            if json {
                try Output.standardOutput.writeJSONLines(results.lazy.map { PublishJSON(seq: $0.sequence, duplicate: $0.duplicate) })
            }
        }
    }
}

/// One entry's line of `publish --json`.
struct PublishJSON: Encodable {
    let seq: Int64
    let duplicate: Bool
}

/// What `publish` and `trim` drop from a stream's log.
struct TrimOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Keep at most the newest N entries in the log.", valueName: "N"))
    var maxLen: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Drop entries older than this (1h, 7d).", valueName: "duration"),
            transform: Parse.duration)
    var maxAge: Duration?

    @Option(name: .long, help: ArgumentHelp("'acked': drop the entries every group has acked.", valueName: "acked"))
    var retain: String?

    func validate() throws {
        if let maxLen, maxLen < 0 { throw ValidationError("--max-len must not be negative") }
        if let retain, retain != "acked" { throw ValidationError("--retain takes 'acked', not '\(retain)'") }
    }

    var isEmpty: Bool { maxLen == nil && maxAge == nil && retain == nil }

    var value: StreamTrim { StreamTrim(maxLength: maxLen, maxAge: maxAge, acked: retain == "acked") }
}
