import Foundation
import Testing

/// Paths of the executables this package builds next to the test bundle.
enum Executables {
    static let directory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }()
    static var dq: String { directory + "/dq" }
    static var helper: String { directory + "/dq-test-helper" }
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
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` is only started and waited on by the creating test; the
    // output buffers are written by the reader threads before `done` is signalled and
    // read only after waiting on it.
    let process = Process()
    private var output = [Data(), Data()]
    private let done = DispatchGroup()

    init(_ executable: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let pipes = [Pipe(), Pipe()]
        process.standardOutput = pipes[0]
        process.standardError = pipes[1]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        for (index, pipe) in pipes.enumerated() {
            done.enter()
            DispatchQueue.global().async { [self] in
                output[index] = pipe.fileHandleForReading.readDataToEndOfFile()
                done.leave()
            }
        }
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the process to exit, killing it (and failing the test) after `timeout`.
    func wait(timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) -> ProcessResult {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if done.wait(timeout: .now() + seconds) == .timedOut {
            Issue.record("process \(process.arguments ?? []) still running after \(timeout); killed", sourceLocation: sourceLocation)
            kill(pid, SIGKILL)
            done.wait()
        }
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: output[0], stderr: output[1])
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

/// Whether process `pid` has the file `path` open.
func process(_ pid: Int32, hasOpen path: String) -> Bool {
    let fdDirectory = "/proc/\(pid)/fd"
    let target = URL(fileURLWithPath: path).standardizedFileURL.path
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: fdDirectory) else { return false }
    return entries.contains { entry in
        (try? FileManager.default.destinationOfSymbolicLink(atPath: fdDirectory + "/" + entry)) == target
    }
}
