@preconcurrency import Glibc

/// `clock_gettime(2)` readings.
enum SystemClock {
    /// `CLOCK_REALTIME`: wall-clock time since the Unix epoch, in microseconds.
    static func realtimeMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }

    /// `CLOCK_MONOTONIC`: nanoseconds since some fixed point (boot), never stepped.
    static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
