/// Wakes when any process commits to the store, as its engine tells (SQLite: an inotify
/// watch on the store's directory, which sees every write to the write-ahead log). For
/// live views such as `dq stats --watch`; readers of one queue use that queue's
/// doorbell instead.
///
/// Other changes may wake it too (other files in the same directory), so treat a
/// wake-up as "look again", not as proof of a commit.
///
/// For example, redraw on every change until a minute passes without one:
///
/// ```swift
/// let changes = try StoreChanges(store: store)
/// while changes.wait(timeout: .seconds(60)) {
///     print(try store.stats().queues.map(\.ready))
/// }
/// ```
public final class StoreChanges: @unchecked Sendable {
    // @unchecked: one thread waits at a time.
    private let watch: any ChangeWatch

    /// Starts watching the directory that holds `store`'s file; changes before this
    /// are not reported.
    ///
    /// For example:
    ///
    /// ```swift
    /// let changes = try StoreChanges(store: store)
    /// ```
    ///
    /// - Throws: `DQError.Kind.resourceExhausted` when out of inotify instances or
    ///   watches; `.storeUnavailable` or `.permissionDenied` if the directory cannot
    ///   be watched.
    public init(store: Store) throws(DQError) {
        watch = try store.engine.watchChanges()
    }

    /// Waits until something in the store's directory changes, `timeout` passes, or
    /// `interrupt` is signalled. Returns `true` for a change.
    ///
    /// Changes since the last call count: one that happened in between returns at once.
    /// Several changes are reported as one.
    ///
    /// For example:
    ///
    /// ```swift
    /// if changes.wait(timeout: .seconds(5)) { print("the store changed") }
    /// ```
    public func wait(timeout: Duration, interrupt: WaitInterrupt? = nil) -> Bool {
        watch.wait(timeout: timeout, interrupt: interrupt)
    }
}
