import ArgumentParser
import DQSystem
import DurableQueue
import FoundationEssentials

/// Unbuffered writes to a file descriptor, whole or not at all from the caller's view:
/// partial writes continue, EINTR is retried, and a closed pipe ends the process
/// quietly (as SIGPIPE would).
struct Output: Sendable {
    let fd: FileDescriptor

    static let standardOutput = Output(fd: .standardOutput)
    static let standardError = Output(fd: .standardError)

    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    func write(_ data: Data) {
        data.withUnsafeBytes { write($0) }
    }

    /// Writes `number` and a newline: how commands print a count or a counter's value.
    func writeLine(_ number: some BinaryInteger) {
        write(Array("\(number)\n".utf8))
    }

    /// Writes `value` as one line of JSON (see `JSONLine`).
    func writeJSONLine(_ value: some Encodable) throws {
        write(Array((try JSONLine.encode(value) + "\n").utf8))
    }

    /// Writes each of `values` as one line of JSON, in one write: how every `--json`
    /// that prints an object per message or item prints them.
    func writeJSONLines<Values: Sequence>(_ values: Values) throws where Values.Element: Encodable {
        var lines = ""
        for value in values { lines += try JSONLine.encode(value) + "\n" }
        write(Array(lines.utf8))
    }

    private func write(_ buffer: UnsafeRawBufferPointer) {
        do throws(Errno) {
            try fd.writeAll(buffer)
        } catch {
            if error == .brokenPipe { CurrentProcess.exit(141) }  // the reader went away: end quietly, as SIGPIPE would
            if fd != .standardError {
                ErrorReport.fail("cannot write the output: \(error.description)", status: 73)
            }
            CurrentProcess.exit(73)
        }
    }
}

extension FileDescriptor {
    /// Reads until end of file, telling `progress` the bytes read so far after each chunk.
    ///
    /// - Throws: `Errno` from the first read that fails.
    func readToEnd(progress: ((Int) -> Void)? = nil) throws(Errno) -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            // withUnsafeMutableBytes rethrows untyped errors: the Errno comes out in a Result.
            let count = try chunk.withUnsafeMutableBytes { buffer in Result { () throws(Errno) in try read(into: buffer) } }.get()
            if count == 0 { return data }
            data.append(contentsOf: chunk[0..<count])
            progress?(data.count)
        }
    }
}

/// Reads all of standard input, telling `progress` the bytes read so far after each
/// chunk. A read error (standard input is a directory, an I/O error) ends dq with one
/// line and status 73, rather than storing what was read so far as if it were all.
func readStandardInput(progress: ((Int) -> Void)? = nil) -> Data {
    do throws(Errno) {
        return try FileDescriptor.standardInput.readToEnd(progress: progress)
    } catch {
        ErrorReport.fail("cannot read standard input: \(error.description)", status: 73)
    }
}

/// Tells a person typing that `command` now reads `what` from the terminal (standard
/// input is one), and how to end it; says nothing when standard input is a file or pipe.
func noteReadingTerminal(_ command: String, _ what: String) {
    guard FileDescriptor.standardInput.isTerminal else { return }
    Output.standardError.write(Array("dq \(command): reading \(what) from the terminal; end with Ctrl-D (or give BODY as an argument)\n".utf8))
}

/// How stored bytes (message bodies, dict and list values) end on standard output: the
/// same for every command and whatever the count.
enum Framing: Sendable {
    /// Each followed by a newline, unless it already ends with one (the default).
    case lines
    /// Each followed by a NUL byte (`-0`).
    case nul
    /// Exactly the stored bytes, nothing added and nothing escaped (`--raw`).
    case raw

    init(nul: Bool, raw: Bool) {
        self = raw ? .raw : nul ? .nul : .lines
    }

    /// Refuses `--raw` with `-0` or `--json`, which print something else than the stored
    /// bytes: the check of every command that takes `--raw` beside either.
    static func check(nul: Bool = false, raw: Bool, json: Bool) throws {
        guard raw, nul || json else { return }
        throw ValidationError("--raw cannot be combined with \(nul ? "-0" : "--json")")
    }

    /// Appends `value` to `out` as this framing says. Bytes that would drive a terminal
    /// are shown escaped when standard output is one (see `TerminalText`), unless `.raw`.
    func append(_ value: Data, to out: inout Data) {
        if self != .raw, TerminalText.isTerminal {
            out.append(contentsOf: TerminalText.escaped(value))
        } else {
            out.append(value)
        }
        switch self {
        case .lines where value.last != UInt8(ascii: "\n"): out.append(UInt8(ascii: "\n"))
        case .nul: out.append(0)
        default: break
        }
    }

    /// Writes one value to standard output.
    func write(_ value: Data) {
        var out = Data()
        append(value, to: &out)
        Output.standardOutput.write(out)
    }
}

/// How `get`, `peek` and `dead` print messages.
struct MessagePrinter {
    /// One JSON object per line instead of bodies.
    var json: Bool
    /// How each body ends.
    var framing: Framing

    func print(_ messages: [Message]) throws {
        guard !messages.isEmpty else { return }
        if json { return try Output.standardOutput.writeJSONLines(messages.lazy.map { MessageJSON($0) }) }
        var out = Data()
        for message in messages { framing.append(message.body, to: &out) }
        Output.standardOutput.write(out)
    }

    /// Values one per line: a newline after each unless it already ends with one.
    static func printLines(_ values: [Data]) {
        var out = Data()
        for value in values { Framing.lines.append(value, to: &out) }
        Output.standardOutput.write(out)
    }

    /// Leased messages: always JSON, with `"receipt"` and `"leased_until"`.
    func print(_ leased: [LeasedMessage]) throws {
        guard !leased.isEmpty else { return }
        try Output.standardOutput.writeJSONLines(leased.lazy.map { MessageJSON($0.message, lease: $0) })
    }
}

/// A message as `get --json` prints it: `{"id":"…","queue":…,"priority":…,"attempt":…,
/// "enqueued_at":…,"body":…}`; a body that is not UTF-8 comes as `"body_base64"` instead
/// of `"body"`. A leased message also has `"receipt"` and `"leased_until"`. A message
/// shown in its state (`show`, `peek --follow`) also has `"state"`, and `"due_at"`,
/// `"leased_until"` or `"dead_at"` where they apply; a dead letter listed by `dead`
/// has `"dead_at"`, `"last_error"` and `"exit_status"` or `"signal"` (a name such as
/// `"SIGKILL"`), each when known. The id is a string, as in every JSON output of dq:
/// ids exceed 2^53, past which `jq` and JavaScript round numbers.
struct MessageJSON: Encodable {
    let id: String
    let queue: String
    let state: String?
    let priority: Int
    let attempt: Int
    let enqueuedAt: String
    let dueAt: String?
    let receipt: String?
    let leasedUntil: String?
    var deadAt: String?
    var lastError: String?
    var exitStatus: Int?
    var signal: String?
    let body: String?
    let bodyBase64: String?

    enum CodingKeys: String, CodingKey {
        case id, queue, state, priority, attempt, enqueuedAt = "enqueued_at", dueAt = "due_at", receipt
        case leasedUntil = "leased_until", deadAt = "dead_at", lastError = "last_error", exitStatus = "exit_status", signal
        case body, bodyBase64 = "body_base64"
    }

    init(_ dead: DeadLetter) {
        self.init(dead.message)
        deadAt = JSONText.timestamp(dead.deadAt)
        lastError = dead.lastError
        exitStatus = dead.exitStatus
        signal = dead.signal.map { Signal(rawValue: Int32(clamping: $0)).name }
    }

    init(_ message: Message, lease: LeasedMessage? = nil, stored: StoredMessage? = nil) {
        id = String(message.id)
        queue = message.queue
        state = stored?.state.rawValue
        priority = message.priority
        attempt = message.attempt
        enqueuedAt = JSONText.timestamp(message.enqueuedAt)
        dueAt = stored?.dueAt.map(JSONText.timestamp)
        receipt = lease?.receipt.description
        leasedUntil = (lease?.leasedUntil ?? stored?.leasedUntil).map(JSONText.timestamp)
        deadAt = stored?.diedAt.map(JSONText.timestamp)
        let body = JSONBytes(message.body)
        self.body = body.text
        bodyBase64 = body.base64
    }
}
