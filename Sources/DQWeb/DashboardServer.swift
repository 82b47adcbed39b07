import DurableQueue
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// `dq web`: the dashboard and `/metrics`, on Hummingbird. Thin: the numbers and the
/// actions are the library's (`Store.overview()`, `Queue.peek`, `Queue.retryDead`, …);
/// this only renders them and checks who asks (`WebAccess`).
///
/// Routes: `GET /` (the page), `GET /queue?name=Q` (a queue's next messages and dead
/// letters; `&fragment=1` for the redrawn part only), `POST /queue/retry-dead?name=Q`,
/// `POST /queue/purge-dead?name=Q`, `POST /schedule/run?name=S`, `GET /events` (server-sent events after each
/// change of the store), `GET /metrics`, `GET /dashboard.css`, `GET /dashboard.js`.
public struct DashboardServer: Sendable {
    let store: Store
    let access: WebAccess
    let logger: Logger

    public init(store: Store, access: WebAccess, logger: Logger = Logger(label: "dq.web")) {
        self.store = store
        self.access = access
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT; calls `listening` with the port once the server
    /// accepts connections.
    public func run(listening: @escaping @Sendable (Int) -> Void) async throws {
        let feed = ChangeFeed(store: store, readOnly: access.readOnly)
        try feed.start()
        let app = Application(
            router: router(feed: feed),
            configuration: .init(address: .hostname(access.host, port: access.port), serverName: nil),
            onServerRunning: { channel in listening(channel.localAddress?.port ?? access.port) },
            logger: logger)
        try await app.runService()
    }

    private func router(feed: ChangeFeed) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AccessMiddleware(access: access))
        router.get("/") { request, _ -> Response in
            let overview = try store.overview()
            var response = Self.html(DashboardPage.dashboard(overview, path: store.path, rates: feed.measure(overview), readOnly: access.readOnly))
            // Opened as /?token=…: the browser keeps the token for the page's own requests.
            if let token = access.token, WebAccess.query(request)["token"] == token {
                response.headers[.setCookie] = Cookie(name: WebAccess.cookie, value: token, path: "/", httpOnly: true,
                                                      sameSite: .strict).description
            }
            return response
        }
        router.get("/queue") { request, _ -> Response in
            guard let name = WebAccess.query(request)["name"], !name.isEmpty else {
                return WebAccess.plain(.badRequest, "name the queue: /queue?name=QUEUE\n")
            }
            let detail = try queueDetail(name)
            if WebAccess.query(request)["fragment"] != nil { return Self.html(detail) }
            return Self.html(DashboardPage.queue(name, detail: detail, path: store.path))
        }
        router.post("/queue/retry-dead") { request, _ -> Response in
            try act(request) { try $0.retryDead() }
        }
        router.post("/queue/purge-dead") { request, _ -> Response in
            try act(request) { try $0.purgeDead() }
        }
        router.post("/schedule/run") { request, _ -> Response in
            guard let name = WebAccess.query(request)["name"], !name.isEmpty else {
                return WebAccess.plain(.badRequest, "name the schedule: ?name=SCHEDULE\n")
            }
            guard try store.runSchedule(name) else { return WebAccess.plain(.notFound, "no schedule is called \(name)\n") }
            logger.info("ran schedule", metadata: ["schedule": "\(name)"])
            return Self.done(request, back: "/", json: "{\"ran\":true}")
        }
        router.get("/events") { _, _ -> Response in
            let events = feed.subscribe()
            return Response(status: .ok,
                            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                            body: ResponseBody { writer in
                                // The first event tells the page the feed is live.
                                try await writer.write(ByteBuffer(string: "event: ready\ndata: {}\n\n"))
                                // On SIGTERM or Ctrl-C the stream ends, so that the server
                                // does not wait for the page to close it.
                                try await withGracefulShutdownHandler {
                                    for await payload in events {
                                        try await writer.write(ByteBuffer(string: "event: overview\ndata: \(payload)\n\n"))
                                    }
                                } onGracefulShutdown: {
                                    feed.finishAll()
                                }
                                try await writer.finish(nil)
                            })
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: MetricsText.render(try store.overview()))))
        }
        router.get("/dashboard.css") { _, _ -> Response in
            Self.asset(DashboardAssets.css, type: "text/css; charset=utf-8")
        }
        router.get("/dashboard.js") { _, _ -> Response in
            Self.asset(DashboardAssets.javascript, type: "text/javascript; charset=utf-8")
        }
        return router
    }

    /// A queue's counts, next 20 messages and first 100 dead letters, rendered.
    private func queueDetail(_ name: String) throws -> String {
        let queue = try store.queue(name)
        let stats = try queue.stats()
        return DashboardPage.queueDetail(name, stats: stats, next: try queue.peek(limit: 20),
                                         dead: try queue.deadLetters(limit: 100), readOnly: access.readOnly)
    }

    /// Runs `action` on the queue the request names, then sends a browser back to the
    /// queue's page (303) and any other client a JSON count.
    private func act(_ request: Request, _ action: (Queue) throws -> Int) throws -> Response {
        guard let name = WebAccess.query(request)["name"], !name.isEmpty else {
            return WebAccess.plain(.badRequest, "name the queue: ?name=QUEUE\n")
        }
        let count = try action(try store.queue(name))
        logger.info("\(request.uri.path)", metadata: ["queue": "\(name)", "count": "\(count)"])
        return Self.done(request, back: "/queue?name=" + DashboardPage.query(name), json: "{\"count\":\(count)}")
    }

    /// The answer to a POST that did its work: a browser (its form asked for HTML) is
    /// sent `back` (303); any other client gets `json`.
    private static func done(_ request: Request, back: String, json: String) -> Response {
        if request.headers[.accept]?.contains("text/html") == true {
            return Response(status: .seeOther, headers: [.location: back])
        }
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: json + "\n")))
    }

    private static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                        HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; frame-ancestors 'none'",
                                        HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Refuses what `WebAccess` refuses, before any route runs.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let access: WebAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let refusal = access.refusal(of: request) { return refusal }
        return try await next(request, context)
    }
}
