import ArgumentParser
import DurableQueue

extension DQ {
    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read",
            abstract: "Print a stream's entries from its log, changing nothing (replay).",
            discussion: HelpExamples.discussion("read", """
                Prints the entries the log still holds from --from on (default: the first), \
                oldest first, at most -n of them (default: all). No group sees the read. \
                Exits 1 with nothing printed if there are none.
                """))

        @OptionGroup var location: ReadLocation<DurableQueue.Stream>

        @Option(name: .long, help: ArgumentHelp("The first sequence number to print.", valueName: "seq"))
        var from: Int64 = 1

        @Option(name: .customShort("n"), parsing: .unconditional, help: "Print at most N entries.")
        var count: Int?

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print the stored bytes exactly: no newline added, nothing escaped.")
        var raw = false

        @Flag(name: .long, help: "Print one JSON object per line: stream, seq, published_at, body (body_base64 if not UTF-8).")
        var json = false

        func validate() throws {
            if from < 1 { throw ValidationError("--from must be at least 1") }
            if let count, count < 1 { throw ValidationError("-n must be at least 1") }
            try Framing.check(nul: nulSeparated, raw: raw, json: json)
        }

        func run() throws {
            let stream = try location.open()
            let printer = EntryPrinter(json: json, framing: Framing(nul: nulSeparated, raw: raw), group: nil)
            var next = from
            var left = count ?? Int.max
            var printed = 0
            while left > 0 {
                let entries = try stream.read(from: next, limit: min(left, 1_000))
                guard let last = entries.last else { break }
                try printer.print(entries)
                printed += entries.count
                left -= entries.count
                next = last.sequence + 1
            }
            if printed == 0 { throw StopSignal.nothingCame }
        }
    }
}
