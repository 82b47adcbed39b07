/// Named locks on SQLite: an advisory lock on `PATH-locks/<hash of the name>`
/// (`WriterLock`), which the kernel releases when the holder exits.
extension SQLiteEngine {
    func namedLock(_ name: String) throws(DQError) -> any EngineLock {
        let directory = path + "-locks"
        try SideFiles.makeDirectory(directory)
        return SQLiteNamedLock(lock: try WriterLock(path: directory + "/" + Doorbells.hexHash(name)))
    }
}

/// One lock file's `WriterLock`.
struct SQLiteNamedLock: EngineLock {
    let lock: WriterLock

    func acquire(timeout: Duration?) throws(DQError) -> any LockHold {
        SQLiteLockHold(lock: lock, hold: try lock.acquire(timeout: timeout))
    }
}

/// A taken `WriterLock`; its descriptor keeps the lock for whoever has it open.
struct SQLiteLockHold: LockHold, @unchecked Sendable {
    // @unchecked: `hold` is only read; `WriterLock.release` is thread-safe.
    let lock: WriterLock
    let hold: WriterLock.Hold

    var fileDescriptor: Int32? { hold.fd }

    func release() {
        lock.release(hold)
    }
}
