import FoundationEssentials

/// A PostgreSQL store's address as users write it in `--db` or `$DQ_DB` (SPEC, "Engines"):
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=disable|prefer|require]`, also
/// `postgresql://`, and a unix socket's directory as `postgres:///DBNAME?host=/run/postgresql`.
/// User, password and database name may be percent-encoded (`p%40ss` is `p@ss`).
///
/// The password is kept out of every text this type makes: `description` and every
/// error show the address with the password replaced by `***`.
///
/// For example:
///
/// ```swift
/// let address = try PostgresAddress("postgres://dq:secret@db.internal:5433/jobs?sslmode=require")
/// print(address)   // postgres://dq:***@db.internal:5433/jobs?sslmode=require
/// ```
public struct PostgresAddress: Sendable, Hashable, CustomStringConvertible {
    /// Where the server listens.
    public enum Endpoint: Sendable, Hashable {
        /// A host name or IP address and a TCP port.
        case tcp(host: String, port: Int)
        /// The socket file in `directory` for `port` (`directory/.s.PGSQL.port`).
        case socket(directory: String, port: Int)
    }

    /// Whether the connection uses TLS, as libpq's `sslmode` says.
    public enum TLSMode: String, Sendable, Hashable {
        /// Never.
        case disable
        /// When the server offers it (libpq's default).
        case prefer
        /// Always; the connection fails without it.
        case require
    }

    public let endpoint: Endpoint
    public let user: String
    public let password: String?
    public let database: String
    public let tls: TLSMode

    /// Whether `text` is a PostgreSQL address (it starts `postgres://` or
    /// `postgresql://`) rather than a SQLite path.
    public static func isAddress(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `text`.
    ///
    /// A missing user is `$USER` (as libpq), a missing port 5432, a missing host the
    /// socket directory `/run/postgresql`; `sslmode` defaults to `prefer` over TCP and
    /// `disable` over a socket.
    ///
    /// - Throws: `DQError.Kind.invalidArgument` naming what is wrong, the address shown
    ///   without its password.
    public init(_ text: String, environment: [String: String] = [:]) throws(DQError) {
        let shown = Self.redacted(text)
        func invalid(_ why: String) -> DQError { DQError(.invalidArgument, "invalid PostgreSQL address \(shown): \(why)") }
        guard let scheme = text.firstRange(of: "://"), Self.isAddress(text) else { throw invalid("it must start with postgres://") }
        var rest = text[scheme.upperBound...]
        var query: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, let key = parts[0].percentDecoded,
                      let value = parts[1].percentDecoded else { throw invalid("bad parameter '\(pair)'") }
                query[key] = value
            }
            rest = rest[..<mark]
        }
        let slash = rest.firstIndex(of: "/")
        let authority = slash.map { rest[..<$0] } ?? rest
        guard let slash, let database = rest[rest.index(after: slash)...].percentDecoded, !database.isEmpty else {
            throw invalid("no database name (…/DBNAME)")
        }
        var user = environment["USER"] ?? ""
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let colon = credentials.firstIndex(of: ":")
            guard let name = credentials[..<(colon ?? credentials.endIndex)].percentDecoded else {
                throw invalid("bad user name")
            }
            user = name
            if let colon {
                guard let secret = credentials[credentials.index(after: colon)...].percentDecoded else {
                    throw invalid("bad password encoding")
                }
                password = secret
            }
        }
        var host = String(hostPort)
        var port = 5432
        if let close = hostPort.lastIndex(of: "]"), hostPort.hasPrefix("[") {
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { throw invalid("bad port") }
                port = number
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let number = Int(hostPort[hostPort.index(after: colon)...]) else { throw invalid("bad port") }
            port = number
        }
        if let text = query["port"] {
            guard let number = Int(text) else { throw invalid("bad port") }
            port = number
        }
        guard (1...65_535).contains(port) else { throw invalid("port \(port) is out of range") }
        if let socketHost = query["host"] { host = socketHost }
        guard !user.isEmpty else { throw invalid("no user name (USER@…), and $USER is not set") }
        let socket = host.isEmpty || host.hasPrefix("/")
        endpoint = socket ? .socket(directory: host.isEmpty ? "/run/postgresql" : host, port: port) : .tcp(host: host, port: port)
        if let mode = query["sslmode"] {
            guard let parsed = TLSMode(rawValue: mode) else { throw invalid("sslmode must be disable, prefer or require") }
            tls = parsed
        } else {
            tls = socket ? .disable : .prefer
        }
        let unknown = query.keys.filter { !["sslmode", "host", "port"].contains($0) }.sorted()
        guard unknown.isEmpty else { throw invalid("unknown parameter \(unknown.joined(separator: ", "))") }
        self.user = user
        self.password = password
        self.database = database
    }

    /// The address with its password shown as `***`.
    public var description: String {
        let credentials = user.percentEncoded + (password == nil ? "" : ":***")
        switch endpoint {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "postgres://\(credentials)@\(shownHost):\(port)/\(database.percentEncoded)?sslmode=\(tls.rawValue)"
        case .socket(let directory, let port):
            return "postgres://\(credentials)@/\(database.percentEncoded)?host=\(directory)&port=\(port)"
        }
    }

    /// `text` with whatever stands between `user:` and `@` replaced by `***`: for
    /// showing an address that may not parse.
    /// `text`, an address, naming `database` instead of its own, everything else (the
    /// password too) kept as written: for tools that make a database per run.
    package static func replacingDatabase(in text: String, with database: String) -> String {
        guard let scheme = text.firstRange(of: "://"),
              let slash = text[scheme.upperBound...].firstIndex(of: "/") else { return text }
        let end = text[slash...].firstIndex(of: "?") ?? text.endIndex
        return String(text[...slash]) + database + String(text[end...])
    }

    package static func redacted(_ text: String) -> String {
        guard let scheme = text.firstRange(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"),
              let colon = rest[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<rest.index(after: colon)]) + "***" + String(text[at...])
    }
}

private extension StringProtocol {
    /// `%XX` sequences turned back into their bytes; nil if one is malformed or the
    /// bytes are not UTF-8.
    var percentDecoded: String? {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Percent-encoded for the user-info and path parts of an address: every byte but
    /// ASCII letters, digits and `-._~`.
    var percentEncoded: String {
        var out = ""
        for byte in utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isASCIIHexDigit || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
