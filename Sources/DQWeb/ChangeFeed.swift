import DurableQueue
import Foundation
import Dispatch
import Synchronization

/// Messages in and out per second, per queue, between two reads of the traffic counters.
typealias QueueRates = [String: (in: Double, out: Double)]

/// Tells the open pages what changed: one thread waits on the store's own change
/// notifications (`StoreChanges`), and after each change (at most five times a second,
/// and once a second while a page is open) reads the store once and hands every
/// subscriber the same rendered fragments, unless they are what was sent last. With no
/// page open it sleeps until one opens, so an idle `dq web` uses next to no CPU.
final class ChangeFeed: Sendable {
    private let store: Store
    private let readOnly: Bool
    private let state = Mutex<State>(State())
    /// Signalled when a page subscribes, waking the watching thread if it sleeps.
    private let opened = DispatchSemaphore(value: 0)

    private struct State {
        var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
        var next = 0
        var last: (at: ContinuousClock.Instant, traffic: [String: QueueTraffic])?
        var rates: QueueRates = [:]
        /// The last payload sent: a wake-up that changed nothing shown sends nothing.
        var sent = ""
    }

    init(store: Store, readOnly: Bool) {
        self.store = store
        self.readOnly = readOnly
    }

    /// Starts the watching thread.
    ///
    /// - Throws: `DQError` if the store's changes cannot be watched.
    func start() throws(DQError) {
        let changes = try StoreChanges(store: store)
        let thread = Thread { [self] in
            while true {
                // No page open: sleep until one opens (on PostgreSQL the change watch is a
                // look once a second, which nobody would see).
                if state.withLock({ $0.subscribers.isEmpty }) {
                    opened.wait()
                    // One signal per page opened: the rest are for the same wake-up.
                    while opened.wait(timeout: .now()) == .success {}
                }
                // With a page open, a look every second too: ages and rates move, and a
                // lock taken or released changes no file the watch sees.
                let changed = changes.wait(timeout: .seconds(1))
                guard state.withLock({ !$0.subscribers.isEmpty }) else { continue }
                publish()
                if changed { Thread.sleep(forTimeInterval: 0.2) }  // at most five updates a second
            }
        }
        thread.name = "dq-web-changes"
        thread.start()
    }

    /// A stream of `overview` event payloads (JSON), one after each change, until the
    /// client goes away.
    func subscribe() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.next += 1
            state.subscribers[state.next] = continuation
            return state.next
        }
        opened.signal()
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every subscriber's stream (the server is shutting down: an open event
    /// stream would otherwise keep it waiting).
    func finishAll() {
        let subscribers = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    /// The rates since the last read of the counters, reading them now.
    func measure(_ overview: StoreOverview) -> QueueRates {
        let now = ContinuousClock.now
        let traffic = Dictionary(overview.queues.map { ($0.stats.name, $0.traffic) }, uniquingKeysWith: { a, _ in a })
        return state.withLock { state in
            if let last = state.last {
                let elapsed = Double(Timestamp.microseconds(now - last.at)) / 1e6
                if elapsed >= 0.5 {
                    var rates: QueueRates = [:]
                    for (name, counters) in traffic {
                        guard let before = last.traffic[name], counters.added >= before.added, counters.removed >= before.removed else { continue }
                        rates[name] = (Double(counters.added - before.added) / elapsed, Double(counters.removed - before.removed) / elapsed)
                    }
                    state.rates = rates
                    state.last = (now, traffic)
                }
            } else {
                state.last = (now, traffic)
            }
            return state.rates
        }
    }

    private func publish() {
        guard let overview = try? store.overview() else { return }
        let rates = measure(overview)
        let payload = Self.payload([
            "queues": DashboardPage.queues(overview, rates: rates),
            "streams": DashboardPage.streams(overview),
            "schedules": DashboardPage.schedules(overview, readOnly: readOnly),
            "locks": DashboardPage.locks(overview),
        ])
        let subscribers = state.withLock { state -> [AsyncStream<String>.Continuation] in
            guard payload != state.sent else { return [] }
            state.sent = payload
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(payload) }
    }

    /// One line of JSON (server-sent events end a message at a blank line).
    private static func payload(_ fragments: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fragments, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
