import CLinuxShims
@preconcurrency import Glibc

// Replacing or ending the calling process.
extension CurrentProcess {
    /// `getppid(2)`: the parent's process id.
    public static var parentID: Int32 { getppid() }

    /// `prctl(PR_SET_PDEATHSIG)`: the kernel sends `signal` to this process when its
    /// parent thread exits. Survives `execute`.
    public static func setParentDeathSignal(_ signal: Signal) throws(Errno) {
        _ = try Errno.checking { dq_set_parent_death_signal(signal.rawValue) }
    }

    /// `execvp(3)`: replaces this process with `arguments[0]` (searched for in `PATH`
    /// if it has no slash), given `arguments` and this environment.
    ///
    /// - Returns: only on failure, the error.
    public static func execute(searchingPath arguments: [String]) -> Errno {
        let argv = arguments.map { strdup($0) } + [nil]
        execvp(arguments[0], argv)
        let error = Errno.current
        argv.forEach { free($0) }
        return error
    }

    /// `exit(3)`: ends the process with `status`, after `atexit` handlers.
    public static func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }
}
