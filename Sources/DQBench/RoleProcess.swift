import CLinuxShims
import Dispatch
import FoundationEssentials
@preconcurrency import Glibc

/// The parent side of one benchmark child: `dq bench-role JSON` started as a real
/// process, held at the barrier until `go()`, then read for its `RoleReport`.
///
/// `@unchecked Sendable`: only the stderr reader thread writes `errorText`, and it is
/// read only after `errorDone` says that thread has finished.
final class RoleProcess: @unchecked Sendable {
    private let pid: pid_t
    private var status: Int32?
    private let input: Int32
    private let output: LineReader
    private let spec: RoleSpec
    private var errorText: [UInt8] = []
    private let errorDone = DispatchSemaphore(value: 0)

    init(executable: String, spec: RoleSpec) throws {
        self.spec = spec
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        var pipes: [(read: Int32, write: Int32)] = []
        do {
            for _ in 0..<3 { pipes.append(try Self.makePipe()) }
        } catch {
            for pipe in pipes { close(pipe.read); close(pipe.write) }
            throw error
        }
        let (stdin, stdout, stderr) = (pipes[0], pipes[1], pipes[2])
        let arguments = [executable, "bench-role", json]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, stdin.read, STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, stdout.write, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, stderr.write, STDERR_FILENO)
        // No signal blocked or ignored in the child, whatever this process does.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        _ = dq_spawnattr_clean_signals(&attributes, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        argv.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        for fd in [stdin.read, stdout.write, stderr.write] { close(fd) }
        guard code == 0 else {
            for fd in [stdin.write, stdout.read, stderr.read] { close(fd) }
            throw BenchError(description: "cannot start \(executable): \(String(cString: strerror(code)))")
        }
        self.pid = pid
        input = stdin.write
        output = LineReader(fd: stdout.read)
        DispatchQueue(label: "dq.bench.stderr").async { [self] in
            errorText = LineReader(fd: stderr.read).readToEnd()
            close(stderr.read)
            errorDone.signal()
        }
    }

    deinit {
        close(input)
        close(output.fd)
    }

    /// A pipe whose ends are closed in children other than the one they are given to.
    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard dq_pipe_cloexec(&fds) == 0 else {
            throw BenchError(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    /// Waits for the child to exit; its status as a shell reports it.
    private func waitForExit() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
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
        _ = write(input, &go, 1)
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
        if status == nil { kill(pid, SIGTERM) }
        let status = waitForExit()
        errorDone.wait()
        let detail = String(decoding: errorText, as: UTF8.self)
            .split(separator: "\n").last.map { ": " + $0 } ?? " (exit status \(status))"
        return BenchError(description: "the \(spec.kind.rawValue) process \(what)\(detail)")
    }

    /// Kills the child if it still runs, and reaps it.
    private func stop() {
        if status == nil { kill(pid, SIGKILL) }
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
    let fd: Int32
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
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            buffer.append(contentsOf: chunk[..<count])
        } else if count == 0 || errno != EINTR {
            eof = true
        }
    }
}
