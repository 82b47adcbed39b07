import CLinuxShims
@testable import DurableQueue
import Foundation
import Synchronization
import Testing

/// Paths of the executables this package builds next to the test bundle.
enum Executables {
    static let directory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }()
    static var dq: String { directory + "/dq" }
    static var helper: String { directory + "/dq-test-helper" }
    static var lifecycleHelper: String { directory + "/dq-lifecycle-helper" }
}

/// What a finished process left behind.
struct ProcessResult {
    let status: Int32
    let stdout: Data
    let stderr: Data

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    var stderrLines: [String] { stderrText.split(separator: "\n").map(String.init) }
}

/// A real OS process started by a test, with its output collected in the background.
///
/// Started with `posix_spawn`, no signal blocked and every signal at its default: the
/// test runner's threads block signals, and a child that inherited a blocked SIGCHLD
/// (a shell script's `wait`) or SIGTERM would behave unlike one started from a shell.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `output` is written by the reader threads before `done` is
    // signalled and read only after waiting on it; `status` only by `wait`.
    let pid: pid_t
    private var output = [Data(), Data()]
    /// Standard output as it arrives (`stdoutSoFar`), for a process still running.
    private let partial = Mutex(Data())
    private let done = DispatchGroup()
    private var status: Int32?
    private let arguments: [String]

    /// Starts `executable`; `descriptors` are (this process's descriptor, its number
    /// in the child) pairs handed over besides standard input, output and error.
    init(_ executable: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil,
         descriptors: [(Int32, Int32)] = []) throws {
        self.arguments = arguments
        var pipes: [[Int32]] = []
        for _ in 0..<3 {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
            for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            pipes.append(ends)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, pipes[0][0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, pipes[1][1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, pipes[2][1], STDERR_FILENO)
        for (fd, number) in descriptors { posix_spawn_file_actions_adddup2(&actions, fd, number) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        // The test runner's threads block signals; children must not inherit that.
        _ = dq_spawnattr_clean_signals(&attributes, 0)
        let env = (environment.map { ProcessInfo.processInfo.environment.merging($0) { $1 } } ?? ProcessInfo.processInfo.environment)
            .map { "\($0)=\($1)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        var child: pid_t = 0
        let code = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        close(pipes[0][0])
        close(pipes[1][1])
        close(pipes[2][1])
        guard code == 0 else {
            for fd in [pipes[0][1], pipes[1][0], pipes[2][0]] { close(fd) }
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ENOENT)
        }
        pid = child
        for (index, fd) in [pipes[1][0], pipes[2][0]].enumerated() {
            done.enter()
            DispatchQueue.global().async { [self] in
                output[index] = Self.readAll(fd) { chunk in if index == 0 { partial.withLock { $0.append(chunk) } } }
                close(fd)
                done.leave()
            }
        }
        let input = pipes[0][1]
        if let stdin {
            stdin.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(input, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
        close(input)
    }

    private static func readAll(_ fd: Int32, _ arrived: (Data) -> Void) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
                arrived(Data(buffer[0..<count]))
            } else if count == 0 || errno != EINTR {
                return data
            }
        }
    }

    /// What the process has written to standard output so far.
    var stdoutSoFar: String { partial.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Waits for the process to exit, killing it (and failing the test) after `timeout`.
    func wait(timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) -> ProcessResult {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if done.wait(timeout: .now() + seconds) == .timedOut {
            Issue.record("process \(arguments) still running after \(timeout); killed", sourceLocation: sourceLocation)
            kill(pid, SIGKILL)
            done.wait()
        }
        if status == nil {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
        }
        return ProcessResult(status: status!, stdout: output[0], stderr: output[1])
    }
}

/// Runs the built `dq` with `arguments` and waits for it.
func dq(_ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil,
        timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
    try ChildProcess(Executables.dq, arguments, stdin: stdin, environment: environment)
        .wait(timeout: timeout, sourceLocation: sourceLocation)
}

/// Polls `condition` every millisecond until it holds, for at most `timeout`.
/// For observing another process's state, which sends no event.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while clock.now < end {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

/// `eventually` for async tests: polls every millisecond without blocking a thread of
/// the cooperative pool, for at most `timeout`.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while clock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return condition()
}

/// Whether process `pid` has the file `path` open.
func process(_ pid: Int32, hasOpen path: String) -> Bool {
    let fdDirectory = "/proc/\(pid)/fd"
    let target = URL(fileURLWithPath: path).standardizedFileURL.path
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: fdDirectory) else { return false }
    return entries.contains { entry in
        (try? FileManager.default.destinationOfSymbolicLink(atPath: fdDirectory + "/" + entry)) == target
    }
}

/// A `sh -c` script for a command that starts a grandchild (`sleep 30`, which writes
/// its pid to `pidFile` and does not keep the test's output pipes open) and waits.
func grandchildScript(writingPIDTo pidFile: String) -> String {
    "sh -c 'echo $$ > \(pidFile); exec sleep 30' > /dev/null 2>&1 & wait"
}

/// Whether process `pid` uses the store `db`: has the file open, or is connected to the
/// PostgreSQL server the address names.
func process(_ pid: Int32, uses db: String) -> Bool {
    PostgresAddress.isAddress(db) ? PostgresTestServer.sessions(of: pid, on: db) > 0 : process(pid, hasOpen: db)
}

/// Whether process `pid` is asleep in a wait on the store `db`: on SQLite, once it has
/// `sqliteFile` open (what the wait maps as it starts to sleep); on PostgreSQL, once its
/// listening session has sent its LISTEN.
func process(_ pid: Int32, waitsOn db: String, sqliteFile: String) -> Bool {
    PostgresAddress.isAddress(db) ? PostgresTestServer.listeners(on: db, pid: pid) > 0 : process(pid, hasOpen: sqliteFile)
}

/// The waiters' count of `queue` as stored in the SQLite store's shared file (read, not
/// mapped); 0 while the first process to map the file has not sized it yet.
func storedWaiterCount(_ queue: String, store: String) throws -> UInt64 {
    let data = try Data(contentsOf: URL(fileURLWithPath: store + "-wake/waiters"))
    let slot = Int(Doorbells.hash(queue) % UInt64(WaiterCounts.slots))
    guard data.count >= (slot + 1) * 8 else { return 0 }
    return data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: slot * 8, as: UInt64.self) } & 0xFFFF_FFFF
}
