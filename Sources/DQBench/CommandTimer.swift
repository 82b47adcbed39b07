import DQSystem
import FoundationEssentials

/// Runs a command as a separate process and times it, for W8 (dq invoked from a shell
/// script). `posix_spawn` rather than `Process`, so the parent adds as little as a
/// shell would.
enum CommandTimer {
    /// Runs `arguments` (the first is the executable path) with output discarded.
    ///
    /// - Returns: wall-clock microseconds from spawn to exit.
    /// - Throws: `BenchError` if it cannot start or exits non-zero.
    static func time(_ arguments: [String]) throws -> UInt64 {
        let start = BenchClock.now()
        let child: ChildProcess
        do throws(Errno) {
            child = try ChildProcess.spawn(arguments, standardInput: .nullDevice, standardOutput: .nullDevice, cleanSignals: false)
        } catch {
            throw BenchError(description: "cannot start \(arguments[0]): \(error.description)")
        }
        let status = child.wait().rawValue
        let elapsed = (BenchClock.now() - start) / 1_000
        guard status == 0 else {
            throw BenchError(description: "\(arguments.dropFirst().prefix(2).joined(separator: " ")) exited with status \(status)")
        }
        return elapsed
    }
}
