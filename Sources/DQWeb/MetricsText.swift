import DurableQueue
import Prometheus

/// `/metrics`: the store's numbers in Prometheus text format, read at each scrape
/// (every process's work shows, not only this one's). Names and labels are in the
/// README ("Dashboard and metrics").
enum MetricsText {
    static func render(_ overview: StoreOverview) -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, unit: String = "", _ help: String, _ labels: [(String, String)]) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "dq", metricName: name, unitName: unit, helpText: help),
                               labels: labels)
        }
        func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Prometheus.Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "dq", metricName: name, unitName: "total", helpText: help),
                                 labels: labels)
        }
        for queue in overview.queues {
            let stats = queue.stats
            let name = stats.name
            for (state, value) in [("ready", stats.ready), ("delayed", stats.delayed), ("leased", stats.leased), ("dead", stats.dead)] {
                gauge("queue_messages", "Messages in the queue, by state.", [("queue", name), ("state", state)]).set(Int64(value))
            }
            let age = stats.oldestReadyAge.map { Double(Timestamp.microseconds($0)) / 1e6 } ?? 0
            gauge("queue_oldest_ready_age", unit: "seconds", "How long the oldest ready message has waited (0 when none is ready).",
                  [("queue", name)]).set(age)
            counter("queue_messages_in", "Messages put into the queue, counted by every process (may start over).",
                    [("queue", name)]).increment(by: Int64(clamping: queue.traffic.added))
            counter("queue_messages_out", "Messages taken out of the queue, counted by every process (may start over).",
                    [("queue", name)]).increment(by: Int64(clamping: queue.traffic.removed))
            counter("queue_redeliveries", "Deliveries of messages delivered before (lease ran out, nack, holder died), counted by every process.",
                    [("queue", name)]).increment(by: Int64(clamping: queue.deliveries.redelivered))
        }
        for stream in overview.streams {
            let name = stream.status.name
            gauge("stream_last_sequence", "The sequence number of the stream's newest entry.", [("stream", name)])
                .set(stream.status.lastSequence)
            gauge("stream_entries", "Entries the stream's log holds.", [("stream", name)]).set(Int64(stream.status.length))
            for group in stream.groups {
                let labels = [("stream", name), ("group", group.name)]
                gauge("stream_group_lag", "Entries waiting for one of the group's subscribers.", labels).set(Int64(group.lag))
                gauge("stream_group_pending", "Entries leased to the group's subscribers and not yet settled.", labels)
                    .set(Int64(group.pending))
                gauge("stream_group_dead", "Entries in the group's dead letters.", labels).set(Int64(group.dead))
            }
        }
        return registry.emitToBuffer() + Array(waitHistogram(overview.queues).utf8)
    }

    /// `dq_queue_wait_seconds`, a histogram per queue of how long messages waited from
    /// their put to their first delivery. Written here: the store keeps the bucket counts
    /// (`QueueDeliveries`), which a client library's histogram can only build one
    /// observation at a time.
    static func waitHistogram(_ queues: [QueueOverview]) -> String {
        guard !queues.isEmpty else { return "" }
        var text = "# HELP dq_queue_wait_seconds How long messages waited from their put to their first delivery, counted by every process.\n"
        text += "# TYPE dq_queue_wait_seconds histogram\n"
        for queue in queues {
            let label = "queue=\"\(escaped(queue.stats.name))\""
            let deliveries = queue.deliveries
            var cumulative: UInt64 = 0
            for (bound, count) in zip(QueueDeliveries.waitBounds.map { "\($0)" } + ["+Inf"], deliveries.waits) {
                cumulative &+= count
                text += "dq_queue_wait_seconds_bucket{\(label),le=\"\(bound)\"} \(cumulative)\n"
            }
            text += "dq_queue_wait_seconds_sum{\(label)} \(Double(deliveries.waitMicroseconds) / 1e6)\n"
            text += "dq_queue_wait_seconds_count{\(label)} \(cumulative)\n"
        }
        return text
    }

    /// A label value as the text format writes it: `\`, `"` and newlines escaped.
    private static func escaped(_ value: String) -> String {
        value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }
}
