@preconcurrency import Glibc

/// `clock_gettime(2)` readings.
public enum SystemClock {
    /// `CLOCK_REALTIME`: wall-clock time since the Unix epoch, in microseconds.
    @inlinable
    public static func realtimeMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }

    /// `CLOCK_MONOTONIC`: nanoseconds since some fixed point (boot), never stepped.
    @inlinable
    public static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`, retried on EINTR: sleeps until
    /// `monotonicNanoseconds()` reads `nanoseconds` (absolute, so pacing does not drift).
    public static func sleep(untilMonotonicNanoseconds nanoseconds: UInt64) {
        var target = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }

    /// `getrusage(RUSAGE_SELF)`: CPU time (user + system) this process has used, in
    /// microseconds.
    public static func processCPUMicroseconds() -> UInt64 {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func micros(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_usec) }
        return micros(usage.ru_utime) + micros(usage.ru_stime)
    }
}
