import DQSystem

/// The wake-up half of the raw SQLite round-trip floor: a file that writers touch after
/// their commit and readers watch with inotify, with nothing else around it (no waiter
/// counts, no timeouts). Crashes (precondition) on any error, like `RawSQLiteQueue`.
final class RawBell {
    private let file: FileDescriptor
    private let inotify: FileDescriptor?
    private var events = [UInt8](repeating: 0, count: 4096)

    /// Opens the bell at `path`, creating it; with `watching`, also watches it.
    init(path: String, watching: Bool) {
        guard let file = try? FileDescriptor.open(path, .writeOnly, options: [.create, .closeOnExec], permissions: 0o600) else {
            preconditionFailure("floor: cannot open \(path)")
        }
        self.file = file
        if watching {
            let inotify = try? Inotify.open(nonBlocking: false)
            precondition(inotify != nil && (try? Inotify.watchModifications(inotify!, path: path)) != nil,
                         "floor: cannot watch \(path)")
            self.inotify = inotify
        } else {
            inotify = nil
        }
    }

    deinit {
        file.close()
        inotify?.close()
    }

    /// Wakes the watchers.
    func ring() {
        var byte: UInt8 = 1
        _ = withUnsafeBytes(of: &byte) { try? file.write(toAbsoluteOffset: 0, $0) }
    }

    /// Sleeps until the bell rings (at once if it rang since the last wait).
    func wait() {
        _ = events.withUnsafeMutableBytes { try? inotify?.read(into: $0) }
    }
}
