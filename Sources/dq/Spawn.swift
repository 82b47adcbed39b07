import DQSystem
import FoundationEssentials

/// Starting child processes: commands of `dq worker` and `dq lock` through
/// `dq child-exec`, so each dies with this process; `dq torture`'s directly.
enum Spawn {
    /// Starts `command` through `dq child-exec`, with `stdin` as its standard input if
    /// given, in a process group of its own if `ownGroup`. The descriptors in `inherit`
    /// stay open in it under the same numbers (a lock on their open file then stays
    /// held while the command, or anything it starts, keeps them).
    static func command(_ command: [String], environment: [String: String] = [:], stdin: FileDescriptor? = nil,
                        stdout: FileDescriptor? = nil, inherit: [FileDescriptor] = [], ownGroup: Bool) -> Result<ChildProcess, Errno> {
        let arguments = [DQ.Bench.executablePath(), "child-exec", "--parent", String(CurrentProcess.id), "--"] + command
        return start(arguments, environment: environment, stdin: stdin, stdout: stdout, inherit: inherit, ownGroup: ownGroup)
    }

    /// Starts `arguments` (the first is the executable's path) directly, with this
    /// environment plus `environment` and clean signals (`ChildProcess.spawn`);
    /// `command(…)` describes the other parameters. With `discardOutput`, its standard
    /// output and error go to /dev/null.
    static func start(_ arguments: [String], environment: [String: String] = [:], stdin: FileDescriptor? = nil,
                      stdout: FileDescriptor? = nil, inherit: [FileDescriptor] = [], discardOutput: Bool = false,
                      ownGroup: Bool) -> Result<ChildProcess, Errno> {
        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        return Result { () throws(Errno) in
            try ChildProcess.spawn(arguments, environment: variables, standardInput: stdin.map { .descriptor($0) } ?? .inherited,
                                   standardOutput: discardOutput ? .nullDevice : stdout.map { .descriptor($0) } ?? .inherited,
                                   standardError: discardOutput ? .nullDevice : .inherited,
                                   inherit: inherit, ownGroup: ownGroup)
        }
    }
}
