/// Change watches on SQLite: inotify on the store's directory, which sees every write
/// to the write-ahead log.
extension SQLiteEngine {
    func watchChanges() throws(DQError) -> any ChangeWatch {
        DirectoryChangeWatch(watch: try InotifyWatch(path: StoreLocation.directory(of: path)))
    }
}

/// An inotify watch on a directory, as a `ChangeWatch`.
struct DirectoryChangeWatch: ChangeWatch, @unchecked Sendable {
    // @unchecked: one thread waits at a time; the descriptor is fixed after init.
    let watch: InotifyWatch

    func wait(timeout: Duration, interrupt: WaitInterrupt?) -> Bool {
        let woke = watch.wait(timeout: timeout, interrupt: interrupt?.fileDescriptor)
        watch.drain()
        return woke == .rang
    }
}
