import Foundation

/// A minimal HTTP/1.1 client over a TCP socket to 127.0.0.1, for tests of `dq web`:
/// one request per connection (`Connection: close`), every read bounded by a deadline.
struct HTTPTestClient {
    let port: Int

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    /// Sends a request and reads the whole reply (the server closes the connection).
    func send(_ method: String = "GET", _ target: String, headers: [String: String] = [:],
              timeout: TimeInterval = 10) throws -> Reply {
        let socket = try connect()
        defer { close(socket) }
        try write(socket, request(method, target, headers: headers))
        var raw = Data()
        let deadline = Date().addingTimeInterval(timeout)
        while let chunk = try read(socket, until: deadline) { raw.append(chunk) }
        return try Self.parse(raw)
    }

    /// Opens `target` and reads until `text` has arrived (after `afterOpening` ran), or
    /// the deadline passes; returns everything read.
    func stream(_ target: String, headers: [String: String] = [:], until text: String, timeout: TimeInterval = 10,
                afterFirst first: String? = nil, _ afterOpening: () throws -> Void = {}) throws -> String {
        let socket = try connect()
        defer { close(socket) }
        try write(socket, request("GET", target, headers: headers))
        var received = ""
        var opened = first == nil
        if opened { try afterOpening() }
        let deadline = Date().addingTimeInterval(timeout)
        while let chunk = try read(socket, until: deadline) {
            received += String(decoding: chunk, as: UTF8.self)
            if !opened, let first, received.contains(first) {
                opened = true
                try afterOpening()
            }
            if opened && received.contains(text) { return received }
        }
        return received
    }

    private func request(_ method: String, _ target: String, headers: [String: String]) -> String {
        var lines = ["\(method) \(target) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: close"]
        if method == "POST" { lines.append("Content-Length: 0") }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { lines.append("\(name): \(value)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    private func connect() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(socket)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
        return socket
    }

    private func write(_ socket: Int32, _ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(socket, $0.baseAddress, $0.count) }
            guard written > 0 else { throw POSIXError(.EPIPE) }
            offset += written
        }
    }

    /// The next bytes, or `nil` at the end of the stream.
    ///
    /// - Throws: `POSIXError(.ETIMEDOUT)` when the deadline passes first.
    private func read(_ socket: Int32, until deadline: Date) throws -> Data? {
        let left = Int32(max(0, deadline.timeIntervalSinceNow * 1_000))
        var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, left) == 1 else { throw POSIXError(.ETIMEDOUT) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(socket, $0.baseAddress, $0.count) }
        return count > 0 ? Data(buffer[0..<count]) : nil
    }

    private static func parse(_ raw: Data) throws -> Reply {
        let text = String(decoding: raw, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let statusLine = head.first, statusLine.split(separator: " ").count >= 2,
              let status = Int(statusLine.split(separator: " ")[1]) else { throw POSIXError(.EBADMSG) }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ body: String) -> String {
        var rest = Substring(body)
        var out = ""
        while let end = rest.range(of: "\r\n"), let size = Int(rest[..<end.lowerBound], radix: 16), size > 0 {
            let start = end.upperBound
            let bytes = Array(rest[start...].utf8)
            out += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return out
    }
}
