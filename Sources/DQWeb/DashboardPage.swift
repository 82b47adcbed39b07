import DurableQueue
import Foundation

/// The dashboard's HTML, rendered on the server: every text that comes from the store
/// (names, bodies, errors) goes through `HTML.escape`, so a body of `<script>` shows as
/// text. The page's script only swaps in fragments rendered here.
enum DashboardPage {
    /// The whole page for the store at `path`.
    static func dashboard(_ overview: StoreOverview, path: String, rates: QueueRates, readOnly: Bool) -> String {
        page(title: "dq — \(path)", path: path, body: """
            <section><h2>Queues</h2><div id="queues">\(queues(overview, rates: rates))</div></section>
            <section><h2>Streams</h2><div id="streams">\(streams(overview))</div></section>
            <section><h2>Schedules</h2><div id="schedules">\(schedules(overview, readOnly: readOnly))</div></section>
            <section><h2>Locks held</h2><div id="locks">\(locks(overview))</div></section>
            """)
    }

    /// One queue's page: its counts, next messages and dead letters.
    static func queue(_ name: String, detail: String, path: String) -> String {
        page(title: "dq — \(name)", path: path, body: """
            <p><a href="/">← all queues</a></p>
            <h2>Queue <code>\(HTML.escape(name))</code></h2>
            <div id="detail" data-queue="\(HTML.escape(name))">\(detail)</div>
            """)
    }

    /// The part of a queue's page that is redrawn as the store changes.
    static func queueDetail(_ name: String, stats: QueueStats?, next: [Message], dead: [DeadLetter], readOnly: Bool) -> String {
        let counts = stats.map {
            "<p class=\"counts\">\($0.ready) ready · \($0.delayed) delayed · \($0.leased) leased · \($0.dead) dead"
                + ($0.oldestReadyAge.map { " · oldest waiting \(DurationText.format($0))" } ?? "") + "</p>"
        } ?? "<p class=\"counts\">empty</p>"
        let messageRows = next.map { message in
            "<tr><td class=\"n\">\(message.id)</td><td class=\"n\">\(message.priority)</td><td class=\"n\">\(message.attempt)</td>"
                + "<td>\(time(message.enqueuedAt))</td><td>\(preview(message.body))</td></tr>"
        }
        let deadRows = dead.map { letter in
            "<tr><td class=\"n\">\(letter.message.id)</td><td>\(time(letter.deadAt))</td>"
                + "<td>\(HTML.escape(letter.lastError ?? ""))</td><td>\(preview(letter.message.body))</td></tr>"
        }
        let actions = readOnly || dead.isEmpty ? "" : """
            <form method="post" action="/queue/retry-dead?name=\(HTML.escape(query(name)))"><button>Retry all dead letters</button></form>
            <form method="post" action="/queue/purge-dead?name=\(HTML.escape(query(name)))" data-confirm="Delete every dead letter of this queue?"><button class="danger">Purge dead letters</button></form>
            """
        return counts + """
            <h3>Next messages</h3>
            \(table(["id", "priority", "attempt", "put at", "body"], messageRows, numbers: ["id", "priority", "attempt"], empty: "No message is ready."))
            <h3>Dead letters</h3>
            <div class="actions">\(actions)</div>
            \(table(["id", "dead at", "reason", "body"], deadRows, numbers: ["id"], empty: "No dead letters."))
            """
    }

    /// The queues table.
    static func queues(_ overview: StoreOverview, rates: QueueRates) -> String {
        let rows = overview.queues.map { queue in
            let stats = queue.stats
            let rate = rates[stats.name]
            return "<tr><td><a href=\"/queue?name=\(HTML.escape(query(stats.name)))\">\(HTML.escape(stats.name))</a></td>"
                + "<td class=\"n\">\(stats.ready)</td><td class=\"n\">\(stats.delayed)</td><td class=\"n\">\(stats.leased)</td>"
                + "<td class=\"n\(stats.dead > 0 ? " dead" : "")\">\(stats.dead)</td>"
                + "<td class=\"n\">\(stats.oldestReadyAge.map(DurationText.format) ?? "")</td>"
                + "<td class=\"n\">\(rate.map { perSecond($0.in) } ?? "")</td><td class=\"n\">\(rate.map { perSecond($0.out) } ?? "")</td></tr>"
        }
        return table(["queue", "ready", "delayed", "leased", "dead", "oldest", "in/s", "out/s"], rows,
                     numbers: ["ready", "delayed", "leased", "dead", "oldest", "in/s", "out/s"], empty: "No queue holds anything.")
    }

    /// The streams table: one row per group.
    static func streams(_ overview: StoreOverview) -> String {
        let rows = overview.streams.flatMap { stream in
            let name = HTML.escape(stream.status.name)
            if stream.groups.isEmpty {
                return ["<tr><td>\(name)</td><td class=\"n\">\(stream.status.lastSequence)</td><td></td><td></td><td></td><td></td><td></td></tr>"]
            }
            return stream.groups.map { group in
                "<tr><td>\(name)</td><td class=\"n\">\(stream.status.lastSequence)</td><td>\(HTML.escape(group.name))</td>"
                    + "<td class=\"n\">\(group.delivered)</td><td class=\"n\">\(group.pending)</td><td class=\"n\">\(group.lag)</td>"
                    + "<td class=\"n\(group.dead > 0 ? " dead" : "")\">\(group.dead)</td></tr>"
            }
        }
        return table(["stream", "last seq", "group", "position", "pending", "lag", "dead"], rows,
                     numbers: ["last seq", "position", "pending", "lag", "dead"], empty: "No streams.")
    }

    /// The schedules table, each with a "Run now" button unless `readOnly`.
    static func schedules(_ overview: StoreOverview, readOnly: Bool) -> String {
        let rows = overview.schedules.map { schedule in
            let run = readOnly ? "" : """
                <form method="post" action="/schedule/run?name=\(HTML.escape(query(schedule.name)))"><button>Run now</button></form>
                """
            return "<tr><td>\(HTML.escape(schedule.name))</td><td>\(HTML.escape(schedule.queue))</td>"
                + "<td>\(HTML.escape(String(describing: schedule.rule)))</td><td>\(time(schedule.nextDue))</td>"
                + "<td>\(schedule.lastFired.map(time) ?? "")</td><td>\(run)</td></tr>"
        }
        return table(["schedule", "queue", "rule", "next", "last", ""], rows, empty: "No schedules.")
    }

    /// The held locks table: each lock's holder, how long it has held it, and how many
    /// wait; the holder's address only when some lock has one (PostgreSQL over TCP).
    static func locks(_ overview: StoreOverview) -> String {
        let hosts = overview.locks.contains { $0.host != nil }
        let rows = overview.locks.map { lock in
            let held = lock.held(at: overview.readAt).map(DurationText.format)
            return "<tr><td>\(lock.name.map(HTML.escape) ?? "<span class=\"size\">unknown</span>")</td>"
                + "<td class=\"n\">\(lock.pid.map(String.init) ?? "")</td>"
                + (hosts ? "<td>\(HTML.escape(lock.host ?? ""))</td>" : "")
                + "<td class=\"n\">\(held ?? "")</td><td class=\"n\">\(lock.waiting)</td></tr>"
        }
        return table(["lock", "pid"] + (hosts ? ["host"] : []) + ["held for", "waiting"], rows,
                     numbers: ["pid", "held for", "waiting"], empty: "No lock is held.")
    }

    // MARK: Pieces

    private static func page(title: String, path: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title))</title><link rel="stylesheet" href="/dashboard.css"></head>
        <body><header><h1>dq</h1><span class="path">\(HTML.escape(path))</span><span id="live">connecting…</span></header>
        <main>
        \(body)
        </main>
        <script src="/dashboard.js"></script></body></html>

        """
    }

    /// A table whose headings in `numbers` sit over right-aligned numbers.
    private static func table(_ headings: [String], _ rows: [String], numbers: Set<String> = [], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(HTML.escape(empty))</p>" }
        let head = headings.map { numbers.contains($0) ? "<th class=\"n\">\($0)</th>" : "<th>\($0)</th>" }
        return "<table><thead><tr>" + head.joined() + "</tr></thead><tbody>"
            + rows.joined(separator: "\n") + "</tbody></table>"
    }

    /// A body as text when it is UTF-8 (the first 200 characters), else its first 32
    /// bytes in hex; with its size when it is cut.
    static func preview(_ body: Data) -> String {
        if let text = String(validating: body, as: UTF8.self) {
            let cut = text.count > 200
            return "<span class=\"body\">\(HTML.escape(String(text.prefix(200))))</span>" + (cut ? " <span class=\"size\">… \(body.count) bytes</span>" : "")
        }
        let hex = body.prefix(32).map { String(format: "%02x", $0) }.joined(separator: " ")
        return "<span class=\"hex\">\(hex)</span> <span class=\"size\">\(body.count) bytes, binary</span>"
    }

    private static func perSecond(_ value: Double) -> String {
        value < 10 ? String(format: "%.1f", value) : String(format: "%.0f", value)
    }

    private static func time(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }

    /// `name` percent-encoded for a query string.
    static func query(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
