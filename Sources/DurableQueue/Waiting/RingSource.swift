import DQSystem

/// Where an engine's wake-ups come from, for its `WaitReactor`: a descriptor that
/// becomes readable when channels are rung, and the list of channels rung since the
/// last read. On SQLite, one inotify instance watching doorbell files
/// (`DoorbellWatches`).
///
/// The reactor calls every method while holding its own lock, one call at a time, so a
/// source needs no lock of its own.
package protocol RingSource: AnyObject, Sendable {
    /// Readable while rings are waiting to be read by `drain`.
    var descriptor: FileDescriptor { get }

    /// Starts reporting rings of `channel`.
    func watch(_ channel: String) throws(DQError)

    /// Whether rings of `channel` are reported (a source may lose a watch on its own,
    /// as inotify does when a watched file is deleted).
    func isWatching(_ channel: String) -> Bool

    /// Stops reporting rings of `channel`.
    func unwatch(_ channel: String)

    /// Reads the rings waiting, without sleeping: calls `rung` with each channel rung
    /// (possibly more than once); returns `false` if rings were lost (then every watched
    /// channel counts as rung).
    func drain(_ rung: (String) -> Void) -> Bool

    /// Called for each waiter of `channel` before its first look, and when it stops
    /// waiting: lets writers in other processes know somebody waits (SQLite's
    /// `WaiterCounts`).
    func waiterArrived(on channel: String)
    func waiterLeft(_ channel: String)
}
