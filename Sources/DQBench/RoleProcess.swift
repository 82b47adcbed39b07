import Foundation
@preconcurrency import Glibc

/// The parent side of one benchmark child: `dq bench-role JSON` started as a real
/// process, held at the barrier until `go()`, then read for its `RoleReport`.
///
/// `@unchecked Sendable`: only the stderr reader thread writes `errorText`, and it is
/// read only after `errorDone` says that thread has finished.
final class RoleProcess: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output: LineReader
    private let errors = Pipe()
    private let spec: RoleSpec
    private var errorText = Data()
    private let errorDone = DispatchGroup()

    init(executable: String, spec: RoleSpec) throws {
        self.spec = spec
        let stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["bench-role", String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)]
        process.standardInput = input
        process.standardOutput = stdout
        process.standardError = errors
        try process.run()
        output = LineReader(fd: stdout.fileHandleForReading.fileDescriptor)
        errorDone.enter()
        DispatchQueue.global().async { [self] in
            errorText = errors.fileHandleForReading.readDataToEndOfFile()
            errorDone.leave()
        }
    }

    /// Blocks until the child has finished set-up.
    func waitUntilReady() throws {
        guard let line = output.nextLine(), line == "ready" else { throw failure("did not get ready") }
    }

    /// Releases the child from the barrier.
    func go() {
        input.fileHandleForWriting.write(Data([1]))
    }

    /// Waits for the child's report and its exit.
    func finish() throws -> RoleReport {
        var report: RoleReport?
        while let line = output.nextLine() {
            if line.hasPrefix("result ") {
                report = try JSONDecoder().decode(RoleReport.self, from: Data(line.dropFirst(7).utf8))
            }
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0, let report else { throw failure("failed") }
        return report
    }

    private func failure(_ what: String) -> BenchError {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        errorDone.wait()
        let detail = String(decoding: errorText, as: UTF8.self)
            .split(separator: "\n").last.map { ": " + $0 } ?? " (exit status \(process.terminationStatus))"
        return BenchError(description: "the \(spec.kind.rawValue) process \(what)\(detail)")
    }

    /// Starts every role, waits until all are ready, releases them together, and
    /// collects their reports in order.
    static func run(_ specs: [RoleSpec], executable: String) throws -> [RoleReport] {
        let processes = try specs.map { try RoleProcess(executable: executable, spec: $0) }
        for process in processes { try process.waitUntilReady() }
        for process in processes { process.go() }
        return try processes.map { try $0.finish() }
    }
}

/// A failure of the benchmark itself (a child died, a queue ran dry).
public struct BenchError: Error, CustomStringConvertible {
    public let description: String
}

/// Buffered line reading from a file descriptor.
final class LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var eof = false

    init(fd: Int32) { self.fd = fd }

    /// The next line without its newline, or nil at end of input.
    func nextLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if eof {
                if buffer.isEmpty { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
            } else if count == 0 || errno != EINTR {
                eof = true
            }
        }
    }
}
