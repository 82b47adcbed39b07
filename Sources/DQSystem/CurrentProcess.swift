import CLinuxShims
@preconcurrency import Glibc

/// The calling process and thread: ids, the password-file home directory, and sleeping.
public enum CurrentProcess {
    /// `getpid(2)`.
    public static var id: Int32 { getpid() }

    /// `geteuid(2)`: the effective user id, which file permissions are checked against.
    public static var effectiveUserID: FileStatus.UserID { geteuid() }

    /// The home directory the password database gives the real user (`getpwuid(getuid())`),
    /// if it has an entry.
    public static var passwordHomeDirectory: String? {
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return nil }
        return String(cString: directory)
    }

    /// `usleep(3)`: suspends the calling thread for at least `microseconds` (a signal may
    /// end it early).
    public static func sleep(microseconds: UInt32) {
        _ = usleep(microseconds)
    }

    /// `sleep(microseconds:)` with the thread's timer slack (`prctl(PR_SET_TIMERSLACK)`)
    /// at 1 µs meanwhile, and put back after: with the default 50 µs, a 20 µs sleep
    /// lasts 100 µs. A thread whose slack cannot be read sleeps with it unchanged.
    public static func sleepPrecisely(microseconds: UInt32) {
        let slack = dq_timer_slack_ns()
        if slack > 0 { _ = dq_set_timer_slack_ns(1_000) }
        sleep(microseconds: microseconds)
        if slack > 0 { _ = dq_set_timer_slack_ns(UInt(slack)) }
    }
}
