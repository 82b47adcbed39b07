import DQSystem
import FoundationEssentials

/// Named locks on SQLite: an advisory lock on `PATH-locks/<hash of the name>`
/// (`WriterLock`), which the kernel releases when the holder exits. The holder writes
/// the name into the file when it takes the lock, so a listing can name it, and the
/// file's modification time says since when it is held.
extension SQLiteEngine {
    func namedLock(_ name: String) throws(DQError) -> any EngineLock {
        let directory = path + "-locks"
        try SideFiles.makeDirectory(directory)
        return SQLiteNamedLock(name: name, lock: try WriterLock(path: directory + "/" + Doorbells.hexHash(name)))
    }

    /// The locks of `PATH-locks/` that the kernel's `/proc/locks` shows held, with the
    /// pid that took each and the processes waiting for it.
    func heldLocks() throws(DQError) -> [HeldLock] {
        let directory = path + "-locks"
        guard let files = try? Directory.entries(directory) else { return [] }
        let kernel = KernelFileLocks.read().filter { $0.kind == "FLOCK" }
        guard !kernel.isEmpty else { return [] }
        return files.compactMap { file in
            let path = directory + "/" + file
            guard let status = try? FileStatus(path: path, followingLinks: false), status.type == .regular else { return nil }
            // By inode, on the file's device where /proc/locks names it the same (not on
            // btrfs subvolumes, whose files stat with a device of their own).
            let sameInode = kernel.filter { $0.inode == status.inode }
            let sameDevice = sameInode.filter { $0.major == status.device.major && $0.minor == status.device.minor }
            let entries = sameDevice.isEmpty ? sameInode : sameDevice
            guard let holder = entries.first(where: { !$0.waiting }) else { return nil }
            // A file an older dq made holds no name, and its time is not the take's.
            let name = Self.lockName(at: path, file: file)
            return HeldLock(name: name, pid: holder.pid, host: nil,
                            since: name == nil ? nil : Timestamp.date(status.modifiedMicroseconds),
                            waiting: entries.count { $0.waiting })
        }
    }

    /// The name a holder wrote into the lock file, if it is one whose hash is the file's
    /// name (anything else in the file is not trusted).
    private static func lockName(at path: String, file: String) -> String? {
        guard let bytes = try? FileDescriptor.readWholeFile(path, limit: Names.maxBytes + 1),
              let name = String(validating: bytes, as: UTF8.self),
              Doorbells.hexHash(name) == file else { return nil }
        return name
    }
}

/// One lock file's `WriterLock`.
struct SQLiteNamedLock: EngineLock {
    let name: String
    let lock: WriterLock

    func acquire(timeout: Duration?) throws(DQError) -> any LockHold {
        let hold = try lock.acquire(timeout: timeout)
        // For listings: the name, rewritten at each take (its time is the take's).
        // A failure here costs only the listing, never the lock.
        let bytes = Array(name.utf8)
        _ = try? bytes.withUnsafeBytes { buffer throws(Errno) in try hold.descriptor.write(toAbsoluteOffset: 0, buffer) }
        try? hold.descriptor.resize(to: Int64(bytes.count))
        return SQLiteLockHold(lock: lock, hold: hold)
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
