import DurableQueue

/// Messages per second in and out of each queue over a sliding window: how much the
/// store's traffic counters (`Store.traffic(ofQueue:)`) grew since the reading `window`
/// earlier. Views a fraction of a second apart then show the same steady rate instead of
/// 0 between bursts and the burst divided by the fraction after one.
///
/// For example:
///
/// ```swift
/// var meter = RateMeter()
/// let rates = meter.measure(["jobs"]) { store.traffic(ofQueue: $0) }  // none yet
/// ```
struct RateMeter {
    struct Rate {
        let added: Double
        let removed: Double
    }

    /// How far back rates look by default.
    static let window = Duration.seconds(10)

    let window: Duration
    /// Oldest first: the newest reading at least `window` old, then the later ones.
    private var readings: [(at: ContinuousClock.Instant, counts: [String: QueueTraffic])] = []

    init(window: Duration = RateMeter.window) {
        self.window = window
    }

    /// Reads every queue's counters now; returns the rates as `record` does.
    mutating func measure(_ queues: [String], reading: (String) -> QueueTraffic) -> [String: Rate] {
        var counts: [String: QueueTraffic] = [:]
        for queue in queues { counts[queue] = reading(queue) }
        return record(counts, at: .now)
    }

    /// Adds the counters read at `instant`; returns each queue's rates since the newest
    /// earlier reading at least `window` old (while there is none, the oldest): none for a
    /// queue read for the first time.
    mutating func record(_ counts: [String: QueueTraffic], at instant: ContinuousClock.Instant) -> [String: Rate] {
        if let base = readings.lastIndex(where: { instant - $0.at >= window }) { readings.removeFirst(base) }
        var rates: [String: Rate] = [:]
        for (queue, current) in counts {
            guard let base = readings.first(where: { $0.counts[queue] != nil }), let before = base.counts[queue] else { continue }
            let seconds = max(Double((instant - base.at).nanoseconds) / 1e9, 1e-3)
            rates[queue] = Rate(added: Double(Self.growth(before.added, current.added)) / seconds,
                                removed: Double(Self.growth(before.removed, current.removed)) / seconds)
        }
        readings.append((instant, counts))
        return rates
    }

    static func format(_ perSecond: Double) -> String {
        perSecond >= 100 ? String(Int(perSecond.rounded())) : NumberText.fixed(perSecond, digits: 1)
    }

    /// How much a counter grew; 0 if it went back (its file was recreated).
    private static func growth(_ before: UInt64, _ after: UInt64) -> UInt64 {
        after >= before ? after - before : 0
    }
}
