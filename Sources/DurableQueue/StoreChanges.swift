@preconcurrency import Glibc

/// Wakes when any process commits to the store: an inotify watch on the store's
/// directory, which sees every write to the write-ahead log. For live views such as
/// `dq stats --watch`; readers of one queue use that queue's doorbell instead.
public final class StoreChanges: @unchecked Sendable {
    // @unchecked: one thread waits at a time; the descriptor is fixed after init.
    private let watch: InotifyWatch

    /// - Throws: `DQError.storeUnavailable` if the directory cannot be watched.
    public init(store: Store) throws(DQError) {
        let slash = store.path.lastIndex(of: "/")
        let directory = slash.map { String(store.path[..<$0]) } ?? "."
        watch = try InotifyWatch(path: directory.isEmpty ? "/" : directory)
    }

    /// Waits until something in the store's directory changes, `timeout` passes, or
    /// `interrupt` is signalled. Returns `true` for a change.
    public func wait(timeout: Duration, interrupt: WaitInterrupt? = nil) -> Bool {
        let woke = watch.wait(timeout: timeout, interrupt: interrupt?.fileDescriptor)
        watch.drain()
        return woke == .rang
    }
}
