@preconcurrency import Glibc

/// The wake-up half of the raw SQLite round-trip floor: a file that writers touch after
/// their commit and readers watch with inotify, with nothing else around it (no waiter
/// counts, no timeouts). Crashes (precondition) on any error, like `RawSQLiteQueue`.
final class RawBell {
    private let file: Int32
    private let inotify: Int32
    private var events = [UInt8](repeating: 0, count: 4096)

    /// Opens the bell at `path`, creating it; with `watching`, also watches it.
    init(path: String, watching: Bool) {
        file = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        precondition(file >= 0, "floor: cannot open \(path)")
        if watching {
            inotify = inotify_init1(Int32(IN_CLOEXEC))
            precondition(inotify >= 0 && inotify_add_watch(inotify, path, UInt32(IN_MODIFY)) >= 0,
                         "floor: cannot watch \(path)")
        } else {
            inotify = -1
        }
    }

    deinit {
        close(file)
        if inotify >= 0 { close(inotify) }
    }

    /// Wakes the watchers.
    func ring() {
        var byte: UInt8 = 1
        _ = pwrite(file, &byte, 1, 0)
    }

    /// Sleeps until the bell rings (at once if it rang since the last wait).
    func wait() {
        while read(inotify, &events, events.count) < 0 && errno == EINTR {}
    }
}
