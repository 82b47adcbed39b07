import Dispatch
import PostgresNIO

/// A LISTEN on one channel of a floor's connection: each notification (delivered on
/// NIO's event loop) signals a semaphore that the waiting thread sleeps on, so no
/// notification is missed between a look and the wait.
final class NotificationBell {
    private let rung = DispatchSemaphore(value: 0)
    private let context: PostgresListenContext

    /// Listens on `channel`; notifications sent after this returns are all delivered.
    init(_ channel: String, on connection: RawPostgresConnection) throws {
        let rung = self.rung
        context = connection.connection.addListener(channel: channel) { _, _ in rung.signal() }
        // The listener's own LISTEN went first on this connection: once this one is
        // answered, the server sends every later notification.
        try connection.run("LISTEN \(unescaped: channel)")
    }

    deinit {
        context.stop()
    }

    /// Blocks until a notification arrives (or one already has since the last wait).
    func wait() {
        rung.wait()
    }

    /// `wait()`, for at most `nanoseconds`; returns whether a notification came.
    func wait(nanoseconds: UInt64) -> Bool {
        rung.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success
    }
}
