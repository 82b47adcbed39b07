import DQSystem

/// Clocks for benchmark processes. `CLOCK_MONOTONIC` is one clock for every process on
/// the machine, so a time taken in one process can be compared with another's.
enum BenchClock {
    /// Nanoseconds on the machine-wide monotonic clock.
    static func now() -> UInt64 {
        SystemClock.monotonicNanoseconds()
    }

    /// Microseconds since the Unix epoch, on the wall clock (as dq's `enqueued_at`).
    static func wallMicroseconds() -> Int64 {
        SystemClock.realtimeMicroseconds()
    }

    /// Sleeps until the monotonic clock reads `nanoseconds` (absolute, so pacing does
    /// not drift).
    static func sleep(until nanoseconds: UInt64) {
        SystemClock.sleep(untilMonotonicNanoseconds: nanoseconds)
    }

    /// CPU time (user + system) this process has used, in microseconds.
    static func cpuMicroseconds() -> UInt64 {
        SystemClock.processCPUMicroseconds()
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
