import DQSystem
import Dispatch
import FoundationEssentials

/// The parent side of one benchmark child: `dq bench-role JSON` started as a real
/// process, held at the barrier until `go()`, then read for its `RoleReport`.
///
/// `@unchecked Sendable`: only the stderr reader thread writes `errorText`, and it is
/// read only after `errorDone` says that thread has finished.
final class RoleProcess: @unchecked Sendable {
    private let child: ChildProcess
    private var status: Int32?
    private let input: FileDescriptor
    private let output: LineReader
    private let spec: RoleSpec
    private var errorText: [UInt8] = []
    private let errorDone = DispatchSemaphore(value: 0)

    init(executable: String, spec: RoleSpec) throws {
        self.spec = spec
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        // Each pipe's ends are closed in children other than the one they are given to.
        var pipes: [(readEnd: FileDescriptor, writeEnd: FileDescriptor)] = []
        do throws(Errno) {
            for _ in 0..<3 { pipes.append(try FileDescriptor.pipeClosedOnExec()) }
        } catch {
            for pipe in pipes { pipe.readEnd.close(); pipe.writeEnd.close() }
            throw BenchError(description: "cannot make a pipe: \(error.description)")
        }
        let (stdin, stdout, stderr) = (pipes[0], pipes[1], pipes[2])
        let spawned: ChildProcess
        do throws(Errno) {
            // No signal blocked or ignored in the child, whatever this process does.
            spawned = try ChildProcess.spawn([executable, "bench-role", json], standardInput: .descriptor(stdin.readEnd),
                                             standardOutput: .descriptor(stdout.writeEnd),
                                             standardError: .descriptor(stderr.writeEnd))
        } catch {
            for fd in [stdin.readEnd, stdout.writeEnd, stderr.writeEnd, stdin.writeEnd, stdout.readEnd, stderr.readEnd] { fd.close() }
            throw BenchError(description: "cannot start \(executable): \(error.description)")
        }
        for fd in [stdin.readEnd, stdout.writeEnd, stderr.writeEnd] { fd.close() }
        child = spawned
        input = stdin.writeEnd
        output = LineReader(fd: stdout.readEnd)
        DispatchQueue(label: "dq.bench.stderr").async { [self] in
            errorText = LineReader(fd: stderr.readEnd).readToEnd()
            stderr.readEnd.close()
            errorDone.signal()
        }
    }

    deinit {
        input.close()
        output.fd.close()
    }

    /// Waits for the child to exit; its status as a shell reports it.
    private func waitForExit() -> Int32 {
        if let status { return status }
        let status = child.wait().shellStatus
        self.status = status
        return status
    }

    /// Blocks until the child has finished set-up.
    func waitUntilReady() throws {
        guard let line = output.nextLine(), line == "ready" else { throw failure("did not get ready") }
    }

    /// Releases the child from the barrier.
    func go() {
        var go: UInt8 = 1
        _ = withUnsafeBytes(of: &go) { try? input.write($0) }
    }

    /// Waits for the child's report and its exit.
    func finish() throws -> RoleReport {
        var report: RoleReport?
        while let line = output.nextLine() {
            if line.hasPrefix("result ") {
                report = try JSONDecoder().decode(RoleReport.self, from: Data(line.dropFirst(7).utf8))
            }
        }
        guard waitForExit() == 0, let report else { throw failure("failed") }
        return report
    }

    private func failure(_ what: String) -> BenchError {
        if status == nil { child.send(.terminate) }
        let status = waitForExit()
        errorDone.wait()
        let detail = String(decoding: errorText, as: UTF8.self)
            .split(separator: "\n").last.map { ": " + $0 } ?? " (exit status \(status))"
        return BenchError(description: "the \(spec.kind.rawValue) process \(what)\(detail)")
    }

    /// Kills the child if it still runs, and reaps it.
    private func stop() {
        if status == nil { child.send(.kill) }
        _ = waitForExit()
    }

    /// Starts every role, waits until all are ready, releases them together, and
    /// collects their reports in order. If any fails, every other is killed and reaped.
    static func run(_ specs: [RoleSpec], executable: String) throws -> [RoleReport] {
        var processes: [RoleProcess] = []
        do {
            for spec in specs { processes.append(try RoleProcess(executable: executable, spec: spec)) }
            for process in processes { try process.waitUntilReady() }
            for process in processes { process.go() }
            return try processes.map { try $0.finish() }
        } catch {
            for process in processes { process.stop() }
            throw error
        }
    }
}

/// A failure of the benchmark itself (a child died, a queue ran dry).
public struct BenchError: Error, CustomStringConvertible {
    public let description: String
}

/// Buffered line reading from a file descriptor.
final class LineReader {
    let fd: FileDescriptor
    private var buffer: [UInt8] = []
    private var eof = false

    init(fd: FileDescriptor) { self.fd = fd }

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
            fill()
        }
    }

    /// Everything left to read, up to end of input.
    func readToEnd() -> [UInt8] {
        while !eof { fill() }
        defer { buffer.removeAll() }
        return buffer
    }

    /// Reads what is there (blocking), or notes end of input.
    private func fill() {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { (try? fd.read(into: $0)) ?? 0 }
        if count > 0 {
            buffer.append(contentsOf: chunk[..<count])
        } else {
            eof = true
        }
    }
}
