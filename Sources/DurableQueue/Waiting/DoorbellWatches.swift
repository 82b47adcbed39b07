import DQSystem

/// The SQLite engine's `RingSource`: one inotify instance for the whole store, with a
/// watch on the doorbell file (`Doorbells`) of every channel somebody in this process
/// waits on. Channels whose names hash to the same bell share its watch.
///
/// `@unchecked Sendable`: `WaitReactor` calls it under its lock only (see `RingSource`);
/// the descriptor is fixed after init.
final class DoorbellWatches: RingSource, @unchecked Sendable {
    let descriptor: FileDescriptor
    private let doorbells: Doorbells
    /// The channels each inotify watch stands for.
    private var channelsByWatch: [Int32: Set<String>] = [:]
    private var watchByChannel: [String: Int32] = [:]

    /// - Throws: `DQError.Kind.resourceExhausted` if inotify instances have run out.
    init(doorbells: Doorbells) throws(DQError) {
        descriptor = try InotifyWatch.openInstance()
        self.doorbells = doorbells
    }

    deinit {
        descriptor.close()
    }

    func watch(_ channel: String) throws(DQError) {
        let bell = try doorbells.bell(for: channel)
        let watch = try InotifyWatch.addWatch(descriptor, path: bell)
        watchByChannel[channel] = watch
        channelsByWatch[watch, default: []].insert(channel)
    }

    func unwatch(_ channel: String) {
        guard let watch = watchByChannel.removeValue(forKey: channel) else { return }
        channelsByWatch[watch]?.remove(channel)
        if channelsByWatch[watch]?.isEmpty == true {
            channelsByWatch[watch] = nil
            Inotify.removeWatch(descriptor, watch: watch)
        }
    }

    func drain(_ rung: (String) -> Void) -> Bool {
        var complete = true
        Inotify.readEvents(descriptor) { event in
            if event.watch < 0 { complete = false; return }
            for channel in channelsByWatch[event.watch] ?? [] { rung(channel) }
            if event.watchRemoved, let channels = channelsByWatch.removeValue(forKey: event.watch) {
                // The bell was deleted: its channels are watched again at their next wait.
                for channel in channels { watchByChannel[channel] = nil }
            }
        }
        return complete
    }

    /// Whether `channel` has a live watch (the kernel may drop one whose file is deleted).
    func isWatching(_ channel: String) -> Bool {
        watchByChannel[channel] != nil
    }

    func waiterArrived(on channel: String) {
        doorbells.willWait(on: channel)
    }

    func waiterLeft(_ channel: String) {
        doorbells.doneWaiting(on: channel)
    }
}
