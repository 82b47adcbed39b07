import DQSystem
import Synchronization

/// Tells live lease holders from dead ones through the kernel: a process that leases
/// messages holds `flock(LOCK_EX)` on its own file `PATH-holders/<id>` for as long as it
/// lives, and the kernel drops that lock when it dies, however it dies. Any process can
/// then try the lock: if it gets it, the holder is gone, and its leases go back to the
/// queue at once instead of when they run out. A holder whose file is missing is not
/// known to be gone: its leases run out as leases do.
///
/// The `holders` table lists registered holders; each leased row names its holder.
final class LeaseHolders: Sendable {
    let directory: String
    /// This process's holder id and the descriptor holding its lock, once registered.
    private let mine = Mutex<(id: Int64, fd: FileDescriptor)?>(nil)
    /// Held while registering, so threads that lease at once register one holder
    /// between them (a second one's file, unlocked when dropped, looked like a dead
    /// holder to the next sweep).
    private let registering = Mutex<Void>(())
    /// When this process last looked for dead holders (monotonic ns).
    private let lastSweep = Mutex<UInt64>(0)
    /// Sweeps run at most this often per process.
    static let sweepInterval: UInt64 = 250_000_000

    init(storePath: String) {
        directory = storePath + "-holders"
    }

    deinit {
        mine.withLock { if let held = $0 { held.fd.close() } }
    }

    func path(_ id: Int64) -> String { directory + "/" + String(id, radix: 16) }

    /// The descriptor holding this process's holder lock, once it has leased anything.
    var heldDescriptor: Int32? { mine.withLock { $0?.fd.rawValue } }

    /// This process's holder id, registering it (file, lock, `holders` row) on first use.
    func holderID(store: SQLiteEngine) throws(DQError) -> Int64 {
        if let held = mine.withLock({ $0 }) { return held.id }
        return try registering.withLock { _ throws(DQError) -> Int64 in
            if let held = mine.withLock({ $0 }) { return held.id }
            let registered = try register(store: store)
            mine.withLock { $0 = registered }
            return registered.id
        }
    }

    /// Makes a holder: its file, locked, and its `holders` row.
    private func register(store: SQLiteEngine) throws(DQError) -> (id: Int64, fd: FileDescriptor) {
        try SideFiles.makeDirectory(directory)
        let id = Int64.random(in: 1...Int64.max)
        let fd: FileDescriptor
        do throws(Errno) {
            fd = try FileDescriptor.open(path(id), .readWrite, options: [.create, .exclusiveCreate, .closeOnExec, .noFollow], permissions: 0o600)
            do throws(Errno) {
                if try !fd.lockExclusively(waiting: false) { throw Errno.wouldBlock }
            } catch {
                fd.close()
                throw error
            }
        } catch {
            throw DQError(error, "cannot create lease holder file in \(directory)")
        }
        do {
            try store.write { connection in
                let register = try connection.cachedStatement("INSERT INTO holders (id, pid, since) VALUES (?1, ?2, ?3)")
                defer { register.reset() }
                try register.bind(id, at: 1)
                try register.bind(Int64(CurrentProcess.id), at: 2)
                try register.bind(Timestamp.now(), at: 3)
                try register.run()
            }
        } catch {
            fd.close()
            try? FileSystem.remove(path(id))
            throw error
        }
        return (id, fd)
    }

    /// Finds holders whose process died, returns their leases to the queues (ringing
    /// each) and deletes the replies waiting for them (`ReplyAddress`). Cheap
    /// to call often: it runs at most every `sweepInterval`.
    ///
    /// - Returns: how many leases came back (0 when it did not run).
    @discardableResult
    func sweep(store: SQLiteEngine) throws(DQError) -> Int {
        let now = Deadline.monotonicNanoseconds()
        let due = lastSweep.withLock { last -> Bool in
            if now &- last < Self.sweepInterval { return false }
            last = now
            return true
        }
        guard due else { return 0 }
        let myID = mine.withLock { $0?.id }
        let holders = try store.read { connection -> [Int64] in
            let list = try connection.cachedStatement("SELECT id FROM holders")
            defer { list.reset() }
            var ids: [Int64] = []
            while try list.step() { ids.append(list.int64(at: 0)) }
            return ids
        }
        var released = 0
        for id in holders where id != myID {
            // Holding the dead holder's lock while releasing keeps two sweepers from
            // racing, and a live holder's lock is never taken.
            // No file (a clean-up job removed it, say) tells nothing about the holder:
            // its leases run out as leases do.
            guard let fd = try? FileDescriptor.open(path(id), .readWrite, options: [.closeOnExec, .noFollow]) else { continue }
            defer { fd.close() }
            guard (try? fd.lockExclusively(waiting: false)) == true else { continue }  // alive
            let (count, queues) = try store.write { connection in
                _ = try MessageTable.dropReplies(connection, holder: id)
                return try MessageTable.releaseLeases(connection, holder: id)
            }
            // Their readers, wherever they wait, look now rather than at their re-check.
            for queue in queues { store.doorbells.ring(queue) }
            try? FileSystem.remove(path(id))
            store.doorbells.removeBell(ReplyAddress.prefix(holder: id))
            // A holder that died holding nothing is housekeeping, not news.
            store.logger.log(level: count > 0 ? .notice : .debug, "returned the leases of a process that died",
                             metadata: ["holder": "\(id)", "leases": "\(count)"])
            released += count
        }
        return released
    }
}
