import FoundationEssentials
@preconcurrency import Glibc

/// Runs a command as a separate process and times it, for W8 (dq invoked from a shell
/// script). `posix_spawn` rather than `Process`, so the parent adds as little as a
/// shell would.
enum CommandTimer {
    /// Runs `arguments` (the first is the executable path) with output discarded.
    ///
    /// - Returns: wall-clock microseconds from spawn to exit.
    /// - Throws: `BenchError` if it cannot start or exits non-zero.
    static func time(_ arguments: [String]) throws -> UInt64 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let start = BenchClock.now()
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchError(description: "cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let elapsed = (BenchClock.now() - start) / 1_000
        guard status == 0 else {
            throw BenchError(description: "\(arguments.dropFirst().prefix(2).joined(separator: " ")) exited with status \(status)")
        }
        return elapsed
    }
}
