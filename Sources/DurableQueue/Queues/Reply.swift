import FoundationEssentials

/// The answer to a request sent with `Queue.call(_:timeout:)`: a body and a status, as a
/// command's output and exit status (`dq worker` replies with exactly those).
///
/// For example:
///
/// ```swift
/// try queue.respond { request in
///     Reply("hello, \(request.text ?? "")")
/// }
/// ```
public struct Reply: Sendable, Hashable {
    /// The bytes of the answer; may be empty or binary.
    public var body: Data
    /// 0 for success, as an exit status: `dq call` exits with it. 0…255.
    public var status: Int

    /// A reply with the bytes `body` and `status` (0…255; 0 means success).
    ///
    /// For example:
    ///
    /// ```swift
    /// let failed = Reply(Data("no such file\n".utf8), status: 2)
    /// ```
    public init(_ body: Data, status: Int = 0) {
        self.body = body
        self.status = status
    }

    /// A reply whose body is `text` as UTF-8 bytes.
    ///
    /// For example:
    ///
    /// ```swift
    /// let reply = Reply("42")
    /// ```
    public init(_ text: String, status: Int = 0) {
        self.init(Data(text.utf8), status: status)
    }

    /// The body as UTF-8 text, or `nil` if it is not valid UTF-8.
    public var text: String? { String(data: body, encoding: .utf8) }

    /// How a reply is stored: its status in the first byte, then its body.
    package var stored: Data {
        var bytes = Data(capacity: body.count + 1)
        bytes.append(UInt8(clamping: status))
        bytes.append(body)
        return bytes
    }

    /// The reply `stored` holds; a status of 70 (internal error) if it holds none.
    package init(stored: Data) {
        guard let first = stored.first else {
            self.init(Data(), status: 70)
            return
        }
        self.init(Data(stored.dropFirst()), status: Int(first))
    }

    /// Refuses a status that is no exit status.
    package func validate() throws(DQError) {
        guard (0...255).contains(status) else {
            throw DQError(.invalidArgument, "a reply status is 0…255 (an exit status), not \(status)")
        }
    }
}

/// Where a request's reply goes: a queue of its own, named after the calling process's
/// lease holder (`:reply:HOLDER:TOKEN`, both hexadecimal). An empty queue costs nothing,
/// so addresses are free; a reply whose caller's process has ended is deleted by the
/// sweep that returns that process's leases, and a reply to such a caller is never put.
package enum ReplyAddress {
    static let prefix = ":reply:"

    /// A new address for a caller whose lease holder id is `holder`.
    package static func make(holder: Int64) -> String {
        prefix + String(holder, radix: 16) + ":" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
    }

    /// The lease holder that `address` names, if it is a reply address.
    package static func holder(of address: String) -> Int64? {
        guard address.hasPrefix(prefix) else { return nil }
        let rest = address.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return Int64(rest[..<colon], radix: 16)
    }

    /// What every reply address of `holder` starts with.
    package static func prefix(holder: Int64) -> String {
        prefix + String(holder, radix: 16) + ":"
    }

    /// The wake-up channel `queue` rings and is watched on: a reply queue shares its
    /// caller's (`prefix(holder:)`), so that a calling process has one doorbell however
    /// many calls it makes; any other queue has its own.
    package static func bellChannel(of queue: String) -> String {
        guard queue.hasPrefix(prefix), let holder = holder(of: queue) else { return queue }
        return prefix(holder: holder)
    }
}
