import ArgumentParser
import DurableQueue

extension DQ {
    struct Peek: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "peek",
            abstract: "Print messages of a queue without removing them: the next ones, a live tail, or the delayed, leased or dead ones.",
            discussion: HelpExamples.discussion("peek", """
                Without a view flag: the next N deliverable messages, printed as get prints \
                them (a newline after each body unless it ends with one; -0, --raw, --json). Exits 1 when there is nothing to show.

                --follow prints every message the queue holds (ready, delayed or leased) once, \
                in the order they were put, then each new one as it is put, until \
                SIGINT/SIGTERM (then exit 0); it takes nothing, and is woken like a blocked get. \
                --new skips the messages already there. A message a consumer takes before \
                peek sees it is not shown. --json adds "state", and "due_at" or \
                "leased_until" where they apply.

                --delayed lists messages not yet deliverable (put with --delay, or nacked with \
                one) with their due time; --leased lists messages under a lease with its end \
                and the attempt under way; both in the order put, all of them unless -n, as a \
                table or, with --json, one object per line with "due_at" / "leased_until". \
                --dead lists dead letters, as dq dead.
                """))

        @OptionGroup var location: ReadLocation<Queue>

        @Option(name: .customShort("n"), parsing: .unconditional,
                help: "Show up to N messages (default: 1; with --delayed, --leased: all; with --dead: 1000).")
        var count: Int?

        @Flag(name: .long, help: "Keep printing messages as they are put, until SIGINT or SIGTERM.")
        var follow = false

        @Flag(name: .long, help: "With --follow: only messages put from now on.")
        var new = false

        @Flag(name: .long, help: "List delayed messages, with their due time.")
        var delayed = false

        @Flag(name: .long, help: "List leased messages, with their lease end and attempt.")
        var leased = false

        @Flag(name: .long, help: "List dead letters (as dq dead).")
        var dead = false

        @Flag(name: .customShort("0"), help: "Follow each body with a NUL byte.")
        var nulSeparated = false

        @Flag(name: .long, help: "Print the stored bytes exactly: no newline added, nothing escaped.")
        var raw = false

        @Flag(name: .long, help: "Print one JSON object per line.")
        var json = false

        func validate() throws {
            if let count, count < 1 { throw ValidationError("-n must be at least 1") }
            let views = [("--follow", follow), ("--delayed", delayed), ("--leased", leased), ("--dead", dead)].filter(\.1)
            if views.count > 1 { throw ValidationError("\(views.map(\.0).joined(separator: " and ")) cannot be combined") }
            if new && !follow { throw ValidationError("--new goes with --follow") }
            if follow && count != nil { throw ValidationError("--follow prints every message; drop -n") }
            if (delayed || leased) && (nulSeparated || raw) {
                throw ValidationError("--delayed and --leased print a table or --json, not \(raw ? "--raw" : "-0")")
            }
            try Framing.check(nul: nulSeparated, raw: raw, json: json)
        }

        func run() throws {
            if follow { return try followQueue(location.openForWaiting()) }
            let queue = try location.open()
            if delayed || leased { return try list(queue, state: delayed ? .delayed : .leased) }
            let framing = Framing(nul: nulSeparated, raw: raw)
            if dead { return try Dead.print(queue.deadLetters(limit: count ?? 1_000), json: json, framing: framing) }
            let messages = try queue.peek(limit: count ?? 1)
            if messages.isEmpty { throw ExitCode(1) }
            try MessagePrinter(json: json, framing: framing).print(messages)
        }

        /// Prints what the queue holds, then each message as it is put, until a stop signal.
        private func followQueue(_ queue: Queue) throws {
            let interrupt = try StopSignal.interrupt()
            var last: Int64 = 0
            if new {
                while let newest = try queue.messages(after: last).last { last = newest.message.id }
            }
            let printer = MessagePrinter(json: false, framing: Framing(nul: nulSeparated, raw: raw))
            while StopSignal.pending == nil {
                let found = try queue.follow(after: last, interrupt: interrupt)
                guard let newest = found.last else { continue }
                if json { try MessageJSON.print(found) } else { try printer.print(found.map(\.message)) }
                last = newest.message.id
            }
        }

        /// Lists the messages in `state` a page at a time: a table, or JSON lines.
        private func list(_ queue: Queue, state: StoredMessage.State) throws {
            var (last, shown) = (Int64(0), 0)
            while count.map({ shown < $0 }) ?? true {
                let page = try queue.messages([state], after: last, limit: min(1_000, count.map { $0 - shown } ?? 1_000))
                guard let newest = page.last else { break }
                if json {
                    try MessageJSON.print(page)
                } else {
                    var table = shown == 0 ? ViewTable.header(state) : ""
                    for stored in page { table += ViewTable.row(stored) }
                    Output.standardOutput.write(Array(table.utf8))
                }
                shown += page.count
                last = newest.message.id
            }
            if shown == 0 { throw ExitCode(1) }
        }
    }
}
