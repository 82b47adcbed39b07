import Histogram

/// One line of `dq bench` output: a workload's headline figure, its percentiles where
/// it measures latency, and its floor and ratio where it has one.
public struct BenchResult: Sendable {
    /// `W1`…`W8`, or `floor-W1` etc.
    public var workload: String
    /// Human-readable name for the table.
    public var title: String
    /// The headline: msgs/s for rates, p50 for latencies, ms for W7 and W8.
    public var value: Double
    /// `msg/s`, `us` or `ms`.
    public var unit: String
    public var p50: Double?
    public var p99: Double?
    public var p999: Double?
    /// The same measure done with raw SQLite (or a pipe), in this run.
    public var floor: Double?
    /// `value / floor`: for rates 1.0 is the floor and higher is better; for latencies
    /// it is how many times the floor's latency.
    public var ratio: Double?
    public var sync: String
    /// Operations measured (messages, round trips, invocations, samples).
    public var n: Int

    /// One JSON object, keys in the documented order, absent fields omitted.
    public var json: String {
        var fields = ["\"workload\":\"\(workload)\"", "\"value\":\(Self.number(value))", "\"unit\":\"\(unit)\""]
        if let p50 { fields.append("\"p50\":\(Self.number(p50))") }
        if let p99 { fields.append("\"p99\":\(Self.number(p99))") }
        if let p999 { fields.append("\"p999\":\(Self.number(p999))") }
        if let floor { fields.append("\"floor\":\(Self.number(floor))") }
        if let ratio { fields.append("\"ratio\":\(Self.number(ratio, decimals: 3))") }
        fields.append("\"sync\":\"\(sync)\"")
        fields.append("\"n\":\(n)")
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func number(_ value: Double, decimals: Int = 2) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return String((value * scale).rounded() / scale)
    }
}

/// Nearest-rank percentiles of latency samples (microseconds), through HdrHistogram
/// at three significant digits.
struct LatencySummary {
    let p50: Double
    let p99: Double
    let p999: Double
    let count: Int

    init(microseconds samples: [UInt64]) {
        var histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        for sample in samples { _ = histogram.record(max(sample, 1)) }
        p50 = Double(histogram.valueAtPercentile(50))
        p99 = Double(histogram.valueAtPercentile(99))
        p999 = Double(histogram.valueAtPercentile(99.9))
        count = samples.count
    }
}
