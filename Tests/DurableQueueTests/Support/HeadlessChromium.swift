import Foundation
import Testing

/// Headless Chromium driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands on its descriptor 3, answers on 4, each JSON
/// message ending with a NUL byte), for the dashboard's browser test. One page.
final class HeadlessChromium {
    /// Debian's `chromium` (or `chromium-headless-shell`), if installed.
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-headless-shell", "/usr/bin/chromium-browser"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process: ChildProcess
    private let commands: Int32
    private let answers: Int32
    private var buffer = Data()
    private var nextID = 0
    private var session = ""

    /// Starts the browser with a profile in `profile` and opens `url` in a page.
    init(_ executable: String, url: String, profile: String) throws {
        var toBrowser: [Int32] = [-1, -1]
        var fromBrowser: [Int32] = [-1, -1]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw Failure(description: "pipe failed") }
        // Only the browser gets them (as 3 and 4), not other processes the test starts.
        for fd in toBrowser + fromBrowser { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let arguments = ["--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                         "--user-data-dir=\(profile)", "--window-size=1100,700", "about:blank"]
        defer {
            close(toBrowser[0])
            close(fromBrowser[1])
        }
        process = try ChildProcess(executable, arguments, descriptors: [(toBrowser[0], 3), (fromBrowser[1], 4)])
        commands = toBrowser[1]
        answers = fromBrowser[0]
        let target = try call("Target.createTarget", ["url": url], inPage: false)
        guard let id = target["targetId"] as? String else { throw Failure(description: "no page: \(target)") }
        let attached = try call("Target.attachToTarget", ["targetId": id, "flatten": true], inPage: false)
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "not attached: \(attached)") }
        self.session = session
    }

    deinit {
        kill(process.pid, SIGKILL)
        _ = process.wait()
        close(commands)
        close(answers)
    }

    /// The value of a JavaScript expression in the page (`nil` if it threw).
    func evaluate(_ expression: String) throws -> Any? {
        let result = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        guard result["exceptionDetails"] == nil else { return nil }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// A PNG of the page as it is drawn now.
    func screenshot() throws -> Data {
        let result = try call("Page.captureScreenshot", ["format": "png"])
        guard let text = result["data"] as? String, let png = Data(base64Encoded: text) else {
            throw Failure(description: "no screenshot: \(result)")
        }
        return png
    }

    /// Sends one command and waits (at most 20 s) for its answer's `result`.
    private func call(_ method: String, _ parameters: [String: Any], inPage: Bool = true) throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": parameters]
        if inPage { message["sessionId"] = session }
        var bytes = try JSONSerialization.data(withJSONObject: message)
        bytes.append(0)
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(commands, raw.baseAddress! + offset, raw.count - offset)
                guard written > 0 else { throw Failure(description: "the browser went away") }
                offset += written
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while true {
            if let end = buffer.firstIndex(of: 0) {
                let line = buffer[buffer.startIndex..<end]
                buffer.removeSubrange(buffer.startIndex...end)
                guard let answer = try JSONSerialization.jsonObject(with: line) as? [String: Any],
                      answer["id"] as? Int == nextID else { continue }
                if let error = answer["error"] { throw Failure(description: "\(method): \(error)") }
                return answer["result"] as? [String: Any] ?? [:]
            }
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1_000))
            var poller = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, left) == 1 else { throw Failure(description: "\(method): no answer in 20 s") }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(answers, $0.baseAddress, $0.count) }
            guard count > 0 else { throw Failure(description: "\(method): the browser closed its pipe") }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }
}
