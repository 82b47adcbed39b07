import CLinuxShims
@preconcurrency import Glibc

/// A process this one started with `posix_spawn`, to wait for and to signal.
///
/// For example:
///
/// ```swift
/// let child = try ChildProcess.spawn(["/bin/true"], standardOutput: .nullDevice)
/// let status = child.wait().shellStatus
/// ```
public struct ChildProcess: Hashable, Sendable {
    /// The process id.
    public let id: Int32

    public init(id: Int32) {
        self.id = id
    }

    /// Where one of a child's standard streams comes from or goes to.
    public enum Stream: Sendable {
        /// This process's own (the descriptor number is inherited).
        case inherited
        /// A descriptor of this process, duplicated onto the stream's number.
        case descriptor(FileDescriptor)
        /// `/dev/null`, opened for reading (standard input) or writing (output, error).
        case nullDevice
    }

    /// `posix_spawn(3)`: starts the executable at `arguments[0]` (a path: not searched
    /// for in `PATH`) with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: `NAME=value` strings; `nil` for this process's environment.
    ///   - standardInput, standardOutput, standardError: where the child's streams go.
    ///   - inherit: descriptors that stay open in the child under the same numbers,
    ///     even if close-on-exec (dup2 onto itself clears the flag, glibc 2.29+).
    ///   - cleanSignals: the child starts with no signal blocked and every signal at
    ///     its default action, whatever this process blocks, ignores or handles (see
    ///     `dq_spawnattr_clean_signals`); `false` leaves posix_spawn's defaults.
    ///   - ownGroup: (with `cleanSignals`) the child leads a process group of its own.
    /// - Throws: `Errno` if it cannot start (for example `.noSuchFileOrDirectory`).
    public static func spawn(_ arguments: [String], environment: [String]? = nil,
                             standardInput: Stream = .inherited, standardOutput: Stream = .inherited,
                             standardError: Stream = .inherited, inherit: [FileDescriptor] = [],
                             cleanSignals: Bool = true, ownGroup: Bool = false) throws(Errno) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (stream, number, access) in [(standardInput, STDIN_FILENO, O_RDONLY), (standardOutput, STDOUT_FILENO, O_WRONLY),
                                         (standardError, STDERR_FILENO, O_WRONLY)] {
            switch stream {
            case .inherited: break
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd.rawValue, number)
            case .nullDevice: posix_spawn_file_actions_addopen(&actions, number, "/dev/null", access, 0)
            }
        }
        for fd in inherit { posix_spawn_file_actions_adddup2(&actions, fd.rawValue, fd.rawValue) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if cleanSignals { _ = dq_spawnattr_clean_signals(&attributes, ownGroup ? 1 : 0) }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { $0.map { strdup($0) } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let code = withUnsafeMutablePointer(to: &attributes) { attributesPointer in
            let attributes = cleanSignals ? UnsafePointer(attributesPointer) : nil
            guard let envp else { return posix_spawn(&pid, arguments[0], &actions, attributes, argv, environ) }
            return posix_spawn(&pid, arguments[0], &actions, attributes, argv, envp)
        }
        guard code == 0 else { throw Errno(rawValue: code) }
        return ChildProcess(id: pid)
    }

    /// `waitpid(2)` (retried on EINTR): blocks until the child exits, and reaps it.
    /// Any other failure (it was reaped already) reads as a raw status of 0.
    public func wait() -> WaitStatus {
        var raw: Int32 = 0
        while waitpid(id, &raw, 0) < 0 && errno == EINTR {}
        return WaitStatus(rawValue: raw)
    }

    /// Sends `signal` to the child (`kill(2)`).
    public func send(_ signal: Signal) {
        signal.send(to: id)
    }

    /// Sends `signal` to every process in the child's process group (spawned with
    /// `ownGroup`).
    public func sendToGroup(_ signal: Signal) {
        signal.send(to: -id)
    }
}

/// How a process ended, as `waitpid(2)` reports it.
public struct WaitStatus: RawRepresentable, Hashable, Sendable {
    /// The status word `waitpid` filled in.
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// As a shell reports it: the exit code, or 128 + the signal that killed it.
    public var shellStatus: Int32 {
        exitCode ?? 128 + (rawValue & 0x7F)
    }

    /// The exit code, if the process exited (rather than being killed by a signal).
    public var exitCode: Int32? {
        rawValue & 0x7F == 0 ? (rawValue >> 8) & 0xFF : nil
    }

    /// The signal that killed the process, if one did.
    public var signal: Signal? {
        rawValue & 0x7F == 0 ? nil : Signal(rawValue: rawValue & 0x7F)
    }
}
