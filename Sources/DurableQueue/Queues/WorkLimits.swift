/// Limits on a queue's work that hold across every consumer giving them, in every
/// process, kept in the store: `Queue.work(limits:)`, `Queue.receive(lease:limits:)`,
/// `dq worker --max-running N --rate N/s`.
///
/// For example, at most 2 jobs at once and 20 starts a second, however many workers run:
///
/// ```swift
/// let limits = WorkLimits(maxRunning: 2, rate: try WorkLimits.Rate(parsing: "20/s"))
/// try await jobs.work(concurrency: 4, limits: limits) { try await handle($0) }
/// ```
public struct WorkLimits: Sendable, Hashable {
    /// At most this many of the queue's messages are leased at once by consumers with a
    /// running limit (a lease whose holder died, or that ran out, frees its place).
    public var maxRunning: Int?
    /// Leases by consumers with a rate are at least `rate.interval` apart.
    public var rate: Rate?

    public init(maxRunning: Int? = nil, rate: Rate? = nil) {
        self.maxRunning = maxRunning
        self.rate = rate
    }

    /// Whether these limit anything.
    public var isEmpty: Bool { maxRunning == nil && rate == nil }

    /// A rate: `count` starts per `period`, spread evenly (one every `interval`, no bursts).
    public struct Rate: Sendable, Hashable, CustomStringConvertible {
        public let count: Int
        public let period: Duration

        /// `count` per `period`: at least 1, and at most a million a second.
        ///
        /// - Throws: `DQError.Kind.invalidArgument` otherwise.
        public init(_ count: Int, per period: Duration) throws(DQError) {
            guard count >= 1, period > .zero, Timestamp.microseconds(period) / Int64(count) >= 1 else {
                throw DQError(.invalidArgument, "a rate must be at least 1 per period and at most 1,000,000 a second")
            }
            self.count = count
            self.period = period
        }

        /// Reads `N/s`, `N/m` or `N/h`.
        ///
        /// - Throws: `DQError.Kind.invalidArgument` naming what is wrong.
        public init(parsing text: String) throws(DQError) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            let periods: [Substring: Duration] = ["s": .seconds(1), "m": .seconds(60), "h": .seconds(3_600)]
            guard parts.count == 2, let count = Int(parts[0]), let period = periods[parts[1]] else {
                throw DQError(.invalidArgument, "invalid rate '\(text)': use a count per s, m or h, as in 20/s or 100/m")
            }
            try self.init(count, per: period)
        }

        /// The time between two starts.
        public var interval: Duration { period / count }

        public var description: String {
            let unit = period == .seconds(1) ? "s" : period == .seconds(60) ? "m" : period == .seconds(3_600) ? "h" : DurationText.format(period)
            return "\(count)/\(unit)"
        }
    }

    /// Refuses a running limit under 1.
    func validate() throws(DQError) {
        if let maxRunning, maxRunning < 1 { throw DQError(.invalidArgument, "the running limit must be at least 1") }
    }
}
