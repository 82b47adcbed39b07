@preconcurrency import Glibc

/// Clocks for benchmark processes. `CLOCK_MONOTONIC` is one clock for every process on
/// the machine, so a time taken in one process can be compared with another's.
enum BenchClock {
    /// Nanoseconds on the machine-wide monotonic clock.
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Microseconds since the Unix epoch, on the wall clock (as dq's `enqueued_at`).
    static func wallMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }

    /// Sleeps until the monotonic clock reads `nanoseconds` (absolute, so pacing does
    /// not drift).
    static func sleep(until nanoseconds: UInt64) {
        var target = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }

    /// CPU time (user + system) this process has used, in microseconds.
    static func cpuMicroseconds() -> UInt64 {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func micros(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_usec) }
        return micros(usage.ru_utime) + micros(usage.ru_stime)
    }
}

/// 100-byte message bodies of random bytes, made before timing starts.
struct RandomBodies {
    private let bodies: [[UInt8]]
    private var next = 0

    init(count: Int = 256, size: Int = 100) {
        var generator = SystemRandomNumberGenerator()
        bodies = (0..<count).map { _ in
            var body = [UInt8](repeating: 0, count: size)
            body.withUnsafeMutableBytes { bytes in
                for offset in stride(from: 0, to: size, by: 8) {
                    var word = generator.next()
                    withUnsafeBytes(of: &word) { source in
                        let length = min(8, size - offset)
                        bytes.baseAddress!.advanced(by: offset).copyMemory(from: source.baseAddress!, byteCount: length)
                    }
                }
            }
            return body
        }
    }

    mutating func take() -> [UInt8] {
        defer { next = (next + 1) % bodies.count }
        return bodies[next]
    }
}
