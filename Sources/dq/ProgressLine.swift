import DQSystem
import FoundationEssentials
import Synchronization

/// A one-line progress note on stderr, redrawn in place, while long work runs on a
/// terminal (`bench`, `torture`, `put --lines` of a large input); nothing at all when
/// stderr is not a terminal, so pipes and logs stay clean.
final class ProgressLine: Sendable {
    private let enabled = FileDescriptor.standardError.isTerminal
    private let lastDrawn = Mutex<ContinuousClock.Instant?>(nil)
    private let interval: Duration

    /// - Parameter interval: `throttled` redraws at most this often.
    init(interval: Duration = .milliseconds(100)) {
        self.interval = interval
    }

    var isEnabled: Bool { enabled }

    /// Replaces the line with `text`.
    func show(_ text: String) {
        guard enabled else { return }
        lastDrawn.withLock { $0 = .now }
        draw(text)
    }

    /// Like `show`, but skips the redraw if the last one was under `interval` ago
    /// (for callers reporting thousands of times a second). `text` is only built then.
    func throttled(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let due = lastDrawn.withLock { last in
            if let last, now - last < interval { return false }
            last = now
            return true
        }
        if due { draw(text()) }
    }

    /// Erases the line, if anything was drawn.
    func clear() {
        guard enabled, lastDrawn.withLock({ $0 }) != nil else { return }
        draw("")
    }

    /// Returns to the line's start, erases it, writes `text`.
    private func draw(_ text: String) {
        Output.standardError.write(Array("\r\u{1B}[K\(text)".utf8))
    }
}
