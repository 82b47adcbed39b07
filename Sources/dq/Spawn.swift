import CLinuxShims
import FoundationEssentials
@preconcurrency import Glibc

/// Starting child processes with `posix_spawn`: commands of `dq worker` and `dq lock`
/// through `dq child-exec`, so each dies with this process; `dq torture`'s directly.
enum Spawn {
    struct Failure: Error {
        let code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    /// Starts `command` through `dq child-exec`, with `stdin` as its standard input if
    /// given, in a process group of its own if `ownGroup`. The descriptors in `inherit`
    /// stay open in it under the same numbers (a lock on their open file then stays
    /// held while the command, or anything it starts, keeps them).
    static func command(_ command: [String], environment: [String: String] = [:], stdin: Int32? = nil,
                        inherit: [Int32] = [], ownGroup: Bool) -> Result<pid_t, Failure> {
        let arguments = [DQ.Bench.executablePath(), "child-exec", "--parent", String(getpid()), "--"] + command
        return start(arguments, environment: environment, stdin: stdin, inherit: inherit, ownGroup: ownGroup)
    }

    /// Starts `arguments` (the first is the executable's path) directly, with clean
    /// signals (see `cleanSignals`); `command(…)` describes the other parameters. With
    /// `discardOutput`, its standard output and error go to /dev/null.
    static func start(_ arguments: [String], environment: [String: String] = [:], stdin: Int32? = nil,
                      inherit: [Int32] = [], discardOutput: Bool = false, ownGroup: Bool) -> Result<pid_t, Failure> {
        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, STDIN_FILENO) }
        if discardOutput {
            posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        }
        // dup2 onto itself clears close-on-exec (glibc 2.29 and later).
        for fd in inherit { posix_spawn_file_actions_adddup2(&actions, fd, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        cleanSignals(&attributes, ownGroup: ownGroup)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = variables.map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let code = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        return code == 0 ? .success(pid) : .failure(Failure(code: code))
    }

    /// Starts children with no signal blocked and every signal at its default action,
    /// whatever dq itself blocks, ignores or handles (see `dq_spawnattr_clean_signals`).
    static func cleanSignals(_ attributes: inout posix_spawnattr_t, ownGroup: Bool) {
        _ = dq_spawnattr_clean_signals(&attributes, ownGroup ? 1 : 0)
    }

    /// Waits for `pid` and returns its status as a shell would: the exit code, or
    /// 128 + the signal that killed it.
    static func wait(_ pid: pid_t) -> Int32 {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        return exitStatus(raw)
    }

    static func exitStatus(_ raw: Int32) -> Int32 {
        raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
    }
}
