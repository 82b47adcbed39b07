import DurableQueue
import Foundation
import Testing

/// `dq web`: a real server process on a random loopback port, asked over real sockets.
@Suite("dq web", .serialized)
struct WebTests {
    let directory = TemporaryDirectory()

    /// A running `dq web` and a client for it; stopped with SIGTERM by `stop()`.
    struct Server {
        let process: ChildProcess
        let client: HTTPTestClient

        /// Stops it; its exit status.
        @discardableResult
        func stop() -> ProcessResult {
            kill(process.pid, SIGTERM)
            return process.wait(timeout: .seconds(10))
        }
    }

    /// Starts `dq web --listen 127.0.0.1:0` on `db` and waits (at most 30 s) for the line
    /// that says where it listens.
    func start(_ db: String, _ options: [String] = [], environment: [String: String]? = nil) throws -> Server {
        let process = try ChildProcess(Executables.dq, ["web", "--listen", "127.0.0.1:0", "--db", db] + options,
                                       environment: environment)
        var port: Int?
        let listening = eventually(timeout: .seconds(30)) {
            let line = process.stdoutSoFar
            guard let range = line.range(of: "http://127.0.0.1:") else { return false }
            port = Int(line[range.upperBound...].prefix { $0.isNumber })
            return port != nil
        }
        guard listening, let port else {
            kill(process.pid, SIGKILL)
            let result = process.wait()
            throw TestFailure("dq web did not start: \(result.stdoutText) \(result.stderrText)")
        }
        return Server(process: process, client: HTTPTestClient(port: port))
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A store with queue `jobs` (3 ready, 1 leased, 1 dead) and `other` (1 ready).
    func seeded(_ engine: EngineUnderTest = .sqlite) throws -> String {
        let db = engine.store(for: directory)
        let store = try engine.open(db)
        let jobs = try store.queue("jobs")
        try jobs.put(contentsOf: ["a", "b", "c", "d", "poison"].map { OutgoingMessage($0) })
        try store.queue("other").put("x")
        // A stream with a group that has taken one of its two entries.
        let orders = try store.stream("orders")
        let billing = try orders.group("billing", from: .first)
        _ = try orders.publish("o1")
        _ = try orders.publish("o2")
        _ = try billing.get(timeout: .zero)
        // The first two come out leased; "a" goes back until it is dead.
        let leased = try jobs.receive(lease: .seconds(600), limit: 2, timeout: .zero)
        try jobs.nack(leased[0].receipt, maxAttempts: 1)
        return db
    }

    @Test("the page lists every queue with its counts; a queue's page shows its next messages and dead letters",
          arguments: EngineUnderTest.allCases)
    func pageListsQueues(engine: EngineUnderTest) throws {
        let db = try seeded(engine)
        let server = try start(db)
        let page = try server.client.send("GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        // queue, ready, delayed, leased, dead
        #expect(page.body.contains(#"jobs</a></td><td class="n">3</td><td class="n">0</td><td class="n">1</td><td class="n dead">1</td>"#),
                "\(page.body)")
        #expect(page.body.contains(#"other</a></td><td class="n">1</td><td class="n">0</td><td class="n">0</td><td class="n">0</td>"#))
        // stream, last seq, group, position, pending, lag, dead
        #expect(page.body.contains(#"<td>orders</td><td class="n">2</td><td>billing</td><td class="n">1</td><td class="n">0</td><td class="n">1</td>"#))
        let queue = try server.client.send("GET", "/queue?name=jobs")
        #expect(queue.status == 200)
        #expect(queue.body.contains(#"<span class="body">c</span>"#) && queue.body.contains(#"<span class="body">poison</span>"#))
        #expect(queue.body.contains("Retry all dead letters"))
        #expect(try server.client.send("GET", "/queue").status == 400)
        #expect(try server.client.send("GET", "/dashboard.js").status == 200)
        #expect(server.stop().status == 0, "SIGTERM ends dq web with status 0")
    }

    @Test("retry and purge of dead letters work through POSTs, and show on the page", arguments: EngineUnderTest.allCases)
    func retryAndPurge(engine: EngineUnderTest) throws {
        let db = try seeded(engine)
        let store = try engine.open(db)
        let server = try start(db)
        defer { server.stop() }
        let retried = try server.client.send("POST", "/queue/retry-dead?name=jobs")
        #expect(retried.status == 200 && retried.body == "{\"count\":1}\n", "\(retried.status) \(retried.body)")
        #expect(try store.queue("jobs").deadLetters().isEmpty)
        #expect(try store.queue("jobs").count() == 4)
        // Bury one again, then purge it.
        let leased = try #require(try store.queue("jobs").receive(lease: .seconds(600), timeout: .zero).first)
        try store.queue("jobs").nack(leased.receipt, maxAttempts: 1)
        #expect(try server.client.send("GET", "/queue?name=jobs").body.contains("Purge dead letters"))
        // A browser's form post is sent back to the queue's page.
        let purged = try server.client.send("POST", "/queue/purge-dead?name=jobs",
                                            headers: ["Accept": "text/html", "Origin": "http://127.0.0.1:\(server.client.port)"])
        #expect(purged.status == 303 && purged.headers["location"] == "/queue?name=jobs")
        #expect(try store.queue("jobs").deadLetters().isEmpty)
    }

    @Test("a schedule's Run now puts its message at once")
    func runSchedule() throws {
        let db = try seeded()
        let store = try Store(path: db)
        _ = try store.addSchedule("nightly", queue: "reports", rule: .every(.seconds(3_600)), body: Data("run".utf8))
        let server = try start(db)
        defer { server.stop() }
        #expect(try server.client.send("GET", "/").body.contains(#"action="/schedule/run?name=nightly""#))
        #expect(try server.client.send("POST", "/schedule/run?name=nightly").status == 200)
        #expect(try store.queue("reports").get(timeout: .zero)?.text == "run")
        #expect(try server.client.send("POST", "/schedule/run?name=missing").status == 404)
    }

    @Test("a token is required when given; a POST from another site's page, or to a --read-only server, is refused")
    func refusals() throws {
        let db = try seeded()
        let store = try Store(path: db)
        let server = try start(db, environment: ["DQ_WEB_TOKEN": "s3cret"])
        #expect(try server.client.send("GET", "/").status == 401)
        #expect(try server.client.send("GET", "/metrics").status == 401)
        #expect(try server.client.send("GET", "/", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try server.client.send("GET", "/", headers: ["Authorization": "Bearer s3cret"]).status == 200)
        // Opened once with ?token=, the browser keeps it in a cookie for the page's requests.
        let opened = try server.client.send("GET", "/?token=s3cret")
        #expect(opened.status == 200)
        let cookie = try #require(opened.headers["set-cookie"])
        #expect(cookie.hasPrefix("dq_token=s3cret") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        #expect(try server.client.send("GET", "/queue?name=jobs", headers: ["Cookie": "dq_token=s3cret"]).status == 200)
        #expect(try server.client.send("POST", "/queue/purge-dead?name=jobs").status == 401)
        let foreign = try server.client.send("POST", "/queue/purge-dead?name=jobs",
                                             headers: ["Cookie": "dq_token=s3cret", "Origin": "https://evil.example"])
        #expect(foreign.status == 403 && foreign.body.contains("evil.example"))
        #expect(try store.queue("jobs").deadLetters().count == 1, "nothing was purged")
        server.stop()

        let readOnly = try start(db, ["--read-only"])
        defer { readOnly.stop() }
        #expect(try readOnly.client.send("POST", "/queue/purge-dead?name=jobs").status == 403)
        #expect(try readOnly.client.send("GET", "/queue?name=jobs").body.contains("Retry all") == false)
        #expect(try store.queue("jobs").deadLetters().count == 1)

        // Off loopback without a token: refused before listening.
        let open = try dq(["web", "--listen", "0.0.0.0:0", "--db", db])
        #expect(open.status == 64)
        #expect(open.stderrText.contains("not a loopback address") && open.stderrText.contains("--token"), "\(open.stderrText)")
        #expect(try dq(["web", "--listen", "127.0.0.1", "--db", db]).status == 64)
    }

    @Test("a body of <script> shows as text: everything from the store is escaped")
    func bodiesEscaped() throws {
        let db = directory.file("escape.db")
        try Store(path: db).queue("<b>q</b>").put("<script>alert(1)</script>")
        let server = try start(db)
        defer { server.stop() }
        let page = try server.client.send("GET", "/")
        #expect(page.body.contains("&lt;b&gt;q&lt;/b&gt;") && !page.body.contains("<b>q</b>"))
        let queue = try server.client.send("GET", "/queue?name=%3Cb%3Eq%3C%2Fb%3E")
        #expect(queue.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(queue.body)")
        #expect(!queue.body.contains("<script>alert"))
        #expect(page.headers["content-security-policy"]?.contains("default-src 'self'") == true)
    }

    @Test("a put from another process reaches an open page's event stream", arguments: EngineUnderTest.allCases)
    func liveEvents(engine: EngineUnderTest) throws {
        let db = try seeded(engine)
        let server = try start(db)
        defer { server.stop() }
        // The fragments travel as JSON strings, in which "/" is written "\/".
        let link = #"fresh<\/a>"#
        let received = try server.client.stream("/events", until: link, timeout: 10, afterFirst: "event: ready") {
            let put = try dq(["put", "fresh", "hello", "--db", db])
            #expect(put.status == 0)
        }
        #expect(received.contains("event: overview") && received.contains(link), "\(received.suffix(400))")
    }

    @Test("a lock taken while a page is open shows on it with its holder's pid", arguments: EngineUnderTest.allCases)
    func heldLocks(engine: EngineUnderTest) throws {
        let db = try seeded(engine)
        #expect(try dq(["lock", "deploy", "--db", db, "--", "true"]).status == 0, "the lock's file is there before")
        let server = try start(db)
        defer { server.stop() }
        #expect(try server.client.send("GET", "/").body.contains("No lock is held."))
        var holder: ChildProcess?
        defer { if let holder { kill(holder.pid, SIGKILL) } }
        // Taking a lock changes nothing the store's change watch sees: the open page's
        // once-a-second look brings it.
        let received = try server.client.stream("/events", until: "deploy<\\/td>", timeout: 20, afterFirst: "event: ready") {
            holder = try ChildProcess(Executables.dq, ["lock", "deploy", "--db", db, "--", "sleep", "60"])
        }
        let pid = try #require(holder?.pid)
        #expect(received.contains(#"deploy<\/td><td class=\"n\">\#(pid)<\/td>"#), "\(received.suffix(600))")
        let page = try server.client.send("GET", "/")
        #expect(page.body.contains(#"<td>deploy</td><td class="n">\#(pid)</td>"#), "\(page.body)")
    }

    @Test("/metrics parses as Prometheus text, and its numbers are dq stats --json's", arguments: EngineUnderTest.allCases)
    func metricsMatchStats(engine: EngineUnderTest) throws {
        let db = try seeded(engine)
        let server = try start(db)
        defer { server.stop() }
        let metrics = try server.client.send("GET", "/metrics")
        #expect(metrics.status == 200)
        // Parsed by the Prometheus project's own Python client (installed by .ci/run).
        let parser = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for sample in family.samples:
                    if sample.name == "dq_queue_messages":
                        out[sample.labels["queue"] + "/" + sample.labels["state"]] = sample.value
            print(json.dumps(out))
            """
        let parsed = try ChildProcess("/usr/bin/env", ["python3", "-c", parser], stdin: Data(metrics.body.utf8)).wait()
        #expect(parsed.status == 0, "prometheus_client could not parse /metrics: \(parsed.stderrText)")
        let samples = try #require(try JSONSerialization.jsonObject(with: parsed.stdout) as? [String: Double])
        let stats = try dq(["stats", "--json", "--db", db])
        let object = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        // dq stats --json also lists the group's own hidden queue (its name begins with
        // U+0001); /metrics shows groups as dq_stream_group_* instead.
        let queues = try #require(object["queues"] as? [[String: Any]]).filter { !Queue.isHidden($0["name"] as? String ?? "") }
        #expect(queues.count == 2)
        #expect(metrics.body.contains(#"dq_stream_group_lag{stream="orders",group="billing"} 1"#))
        for queue in queues {
            let name = try #require(queue["name"] as? String ?? queue["queue"] as? String)
            for state in ["ready", "delayed", "leased", "dead"] {
                let expected = (queue[state] as? Int).map { Double($0) }
                #expect(samples["\(name)/\(state)"] == expected, "\(name) \(state)")
            }
        }
        #expect(metrics.body.contains(#"dq_queue_messages_in_total{queue="jobs"} 5"#), "\(metrics.body)")
    }

    @Test("/metrics counts redeliveries and first deliveries' waits, from every process", arguments: EngineUnderTest.allCases)
    func deliveryMetrics(engine: EngineUnderTest) throws {
        let db = engine.store(for: directory)
        // Each step its own process: what they count must reach the store.
        #expect(try dq(["put", "w", "a", "b", "c", "--db", db]).status == 0)
        #expect(try dq(["get", "w", "--db", db]).stdoutText == "a\n")
        let leased = try dq(["get", "w", "--lease", "10m", "--json", "--db", db])
        let receipt = try #require((try JSONSerialization.jsonObject(with: leased.stdout) as? [String: Any])?["receipt"] as? String)
        #expect(try dq(["nack", "w", receipt, "--db", db]).status == 0)
        let again = try dq(["get", "w", "--lease", "10m", "--json", "--db", db])
        #expect((try JSONSerialization.jsonObject(with: again.stdout) as? [String: Any])?["attempt"] as? Int == 2)
        let server = try start(db)
        defer { server.stop() }
        let metrics = try server.client.send("GET", "/metrics")
        let parser = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                if family.name in ("dq_queue_wait_seconds", "dq_queue_redeliveries"):
                    assert family.type in ("histogram", "counter"), family.type
                    for sample in family.samples:
                        if sample.labels.get("queue") == "w":
                            out[sample.name + sample.labels.get("le", "")] = sample.value
            print(json.dumps(out))
            """
        let parsed = try ChildProcess("/usr/bin/env", ["python3", "-c", parser], stdin: Data(metrics.body.utf8)).wait()
        #expect(parsed.status == 0, "prometheus_client could not parse /metrics: \(parsed.stderrText)")
        let samples = try #require(try JSONSerialization.jsonObject(with: parsed.stdout) as? [String: Double], "\(parsed.stdoutText)")
        #expect(samples["dq_queue_redeliveries_total"] == 1, "\(samples)")
        // Two first deliveries (the get of a, the first lease of b), each within the hour.
        #expect(samples["dq_queue_wait_seconds_count"] == 2, "\(samples)")
        #expect(samples["dq_queue_wait_seconds_bucket+Inf"] == 2 && samples["dq_queue_wait_seconds_bucket3600.0"] == 2, "\(samples)")
        let sum = try #require(samples["dq_queue_wait_seconds_sum"])
        #expect(sum > 0 && sum < 120, "\(sum)")
        // The library reads the same counts.
        let deliveries = try engine.open(db).deliveries(ofQueue: "w")
        #expect(deliveries.redelivered == 1 && deliveries.firstDeliveries == 2)
    }

}

/// The dashboard in a real browser: headless Chromium (Debian's package, which
/// `.ci/run` installs) loads the page, and a put from another process appears on it
/// without a reload.
@Suite("dq web in a browser", .serialized)
struct WebBrowserTests {
    let directory = TemporaryDirectory()

    @Test("a put from another process shows on the open page within a second, without reload; a screenshot is written",
          .enabled(if: HeadlessChromium.path != nil, "Chromium is not installed (.ci/run installs Debian's chromium)"))
    func liveInBrowser() throws {
        let web = WebTests()
        let db = try web.seeded()
        let server = try web.start(db)
        defer { server.stop() }
        let browser = try HeadlessChromium(try #require(HeadlessChromium.path), url: "http://127.0.0.1:\(server.client.port)/",
                                           profile: directory.file("chromium-profile"))
        // The page is up and its event stream connected.
        #expect(eventually(timeout: .seconds(30)) {
            (try? browser.evaluate("document.getElementById('live')?.textContent")) as? String == "live"
        }, "the page did not connect its event stream")
        let queues = "document.getElementById('queues').textContent"
        #expect(((try browser.evaluate(queues)) as? String)?.contains("jobs") == true)
        // A reload would lose this.
        _ = try browser.evaluate("window.notReloaded = true")
        let put = try dq(["put", "fresh", "hello", "--db", db])
        #expect(put.status == 0)
        let putAt = Date()
        var shownAfter: TimeInterval?
        while Date().timeIntervalSince(putAt) < 5 {
            if ((try browser.evaluate(queues)) as? String)?.contains("fresh") == true {
                shownAfter = Date().timeIntervalSince(putAt)
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let after = try #require(shownAfter, "the put never showed on the page")
        print("dq web in Chromium: a put showed on the page \(Int(after * 1_000)) ms after it returned")
        #expect(after < 1, "shown after \(after) s")
        #expect(try browser.evaluate("window.notReloaded") as? Bool == true, "the page was reloaded")
        // A lock taken by another process shows too, with its holder's pid.
        let holder = try ChildProcess(Executables.dq, ["lock", "deploy", "--db", db, "--", "sleep", "60"])
        defer { kill(holder.pid, SIGKILL) }
        #expect(eventually(timeout: .seconds(10)) {
            ((try? browser.evaluate("document.getElementById('locks').textContent")) as? String)?.contains("deploy\(holder.pid)") == true
        }, "the lock never showed on the page")
        let png = try browser.screenshot()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        try png.write(to: URL(fileURLWithPath: directory.file("dashboard.png")))
        print("dq web in Chromium: screenshot at \(directory.file("dashboard.png"))")
        // For the README's picture: DQ_SCREENSHOT=PATH keeps a copy.
        if let keep = ProcessInfo.processInfo.environment["DQ_SCREENSHOT"] { try png.write(to: URL(fileURLWithPath: keep)) }
    }
}
