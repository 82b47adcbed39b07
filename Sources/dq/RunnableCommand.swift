import DQSystem

/// Refusing a command that cannot run, with a shell's exit status: 127 when it is not
/// found, 126 when it is found but cannot be executed (not executable, a directory).
/// `dq worker` and `dq lock` check their command before doing anything; `dq child-exec`
/// ends with the same status when its exec fails.
enum RunnableCommand {
    /// 127 for a command not found, 126 for one that cannot be executed.
    static func status(for error: Errno) -> Int32 {
        error == .noSuchFileOrDirectory || error == .notDirectory ? 127 : 126
    }

    /// Ends dq with one `dq:` line saying why `name` cannot run, and its status.
    static func fail(_ name: String, _ error: Errno) -> Never {
        let reason = error == .noSuchFileOrDirectory && !name.contains("/") ? "command not found" : error.description
        ErrorReport.fail("cannot run \(name): \(reason)", status: status(for: error))
    }

    /// Ends dq as `fail` does unless `command[0]` names a file `execvp` can run.
    static func check(_ command: [String]) {
        do throws(Errno) {
            _ = try ExecutableSearch.find(command[0])
        } catch {
            fail(command[0], error)
        }
    }
}
