import Foundation
import HTTPTypes
import Hummingbird

/// Who may use `dq web`: where it listens, the token it asks for, and whether it may
/// change anything.
///
/// With a token, every request must carry it: `Authorization: Bearer TOKEN`, or the
/// `dq_token` cookie the page sets when it is first opened as `/?token=TOKEN`. Every
/// state-changing request is a POST whose `Origin`, when the client sends one (every
/// browser does on a POST), must be the server's own: a page on another site cannot
/// make the browser act on the store.
public struct WebAccess: Sendable {
    /// The address to listen on (a host name or IP address).
    public let host: String
    /// The port; 0 lets the system choose one.
    public let port: Int
    /// The token every request must carry; `nil`: none (loopback only).
    public let token: String?
    /// Refuses every POST.
    public let readOnly: Bool

    /// The name of the cookie that carries the token for a browser.
    static let cookie = "dq_token"

    /// Checks the combination: a non-loopback address needs a token.
    ///
    /// - Throws: `WebAccess.Refusal` naming what is missing.
    public init(host: String, port: Int, token: String?, readOnly: Bool) throws(Refusal) {
        guard (0...65_535).contains(port) else { throw Refusal("port \(port) is not between 0 and 65535") }
        if let token, token.isEmpty { throw Refusal("the token is empty") }
        if token == nil && !Self.isLoopback(host) {
            throw Refusal("\(host) is not a loopback address: give a token (--token or $DQ_WEB_TOKEN) to listen there")
        }
        self.host = host
        self.port = port
        self.token = token
        self.readOnly = readOnly
    }

    /// Parses `ADDR:PORT` (`[::1]:8080` for IPv6).
    ///
    /// - Throws: `WebAccess.Refusal` for anything else.
    public static func listenAddress(_ text: String) throws(Refusal) -> (host: String, port: Int) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw Refusal("--listen \(text): expected [ADDRESS]:PORT") }
            port = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            throw Refusal("--listen \(text): expected ADDRESS:PORT, for example 127.0.0.1:8080")
        }
        guard !host.isEmpty, let number = Int(port), (0...65_535).contains(number) else {
            throw Refusal("--listen \(text): expected ADDRESS:PORT, for example 127.0.0.1:8080")
        }
        return (String(host), number)
    }

    /// Whether `host` only reaches this machine: `localhost`, 127.0.0.0/8 or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Why a request is refused, as a response; `nil` when it may go on.
    func refusal(of request: Request) -> Response? {
        if let token, !Self.carries(token, request) {
            return Self.plain(.unauthorized, "a token is required: open /?token=TOKEN, or send Authorization: Bearer TOKEN\n")
        }
        guard request.method == .post else { return nil }
        if readOnly { return Self.plain(.forbidden, "dq web runs --read-only\n") }
        if let origin = request.headers[.origin] {
            let own = request.head.authority.map { "http://" + $0 }
            guard origin == own else { return Self.plain(.forbidden, "refused: a request from \(origin), not from this dashboard\n") }
        }
        return nil
    }

    /// Whether the request carries `token` in its Authorization header, its cookie or
    /// its `token` query parameter.
    private static func carries(_ token: String, _ request: Request) -> Bool {
        var offered: [String] = []
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") {
            offered.append(String(authorization.dropFirst("Bearer ".count)))
        }
        if let cookie = request.cookies[cookie]?.value { offered.append(cookie) }
        if let query = Self.query(request)["token"] { offered.append(query) }
        return offered.contains { Self.same($0, token) }
    }

    /// Compares in time that depends only on the lengths.
    private static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The request's query parameters, percent-decoded (the first of each name).
    static func query(_ request: Request) -> [String: String] {
        let items = URLComponents(string: request.uri.description)?.queryItems ?? []
        var result: [String: String] = [:]
        for item in items where result[item.name] == nil { result[item.name] = item.value ?? "" }
        return result
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Why `dq web` cannot start as asked.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
