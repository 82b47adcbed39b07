import DQSystem

/// An advisory lock on a sidecar file beside the store (never the database file
/// itself: closing any descriptor on that drops SQLite's locks in this process), for
/// processes setting the store up at the same moment.
///
/// An open-file-description lock (`F_OFD_SETLK`), not a `flock`: the kernel keeps the
/// two kinds apart, so set-up never waits for writers queued on the same file with
/// `flock` (`ContendedWrite`, `WriterLock`), nor they for it. The kernel releases the
/// lock when the holder closes the file or dies, however it dies. The descriptor is
/// close-on-exec, so child processes never inherit it.
final class FileLock {
    enum Mode {
        case shared
        case exclusive

        var lockKind: OpenFileLock.Kind { self == .shared ? .shared : .exclusive }
    }

    let path: String
    private let fd: FileDescriptor
    /// Whether opening made the file (so a caller that turns out not to need it can
    /// remove it again).
    let created: Bool

    /// Opens (creating with mode 0600) the lock file at `path`, refusing symlinks.
    init(path: String) throws(DQError) {
        var created = true
        let fd: FileDescriptor
        do throws(Errno) {
            do throws(Errno) {
                fd = try FileDescriptor.open(path, .readWrite, options: [.create, .exclusiveCreate, .closeOnExec, .noFollow], permissions: 0o600)
            } catch .fileExists {
                created = false
                fd = try FileDescriptor.open(path, .readWrite, options: [.closeOnExec, .noFollow])
            }
        } catch {
            throw DQError(error, "cannot open lock file \(path)")
        }
        self.path = path
        self.fd = fd
        self.created = created
    }

    /// Opens the lock file at `path` for reading only, creating nothing (a shared lock
    /// needs no more), or `nil` when it is not there or may not be read: a process that
    /// only reads a store then does without it.
    init?(readingExisting path: String) {
        do throws(Errno) {
            fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .noFollow])
        } catch {
            return nil
        }
        self.path = path
        created = false
    }

    deinit {
        fd.close()
    }

    /// Runs `body` holding the lock in `mode`, waiting at most `timeout` to get it.
    ///
    /// - Throws: `DQError.Kind.timedOut` if another process held the lock past `timeout`;
    ///   otherwise whatever `body` throws.
    func withLock<T>(_ mode: Mode, timeout: Duration, _ body: () throws -> T) throws -> T {
        try acquire(mode, timeout: timeout)
        defer { _ = try? OpenFileLock.set(fd, .unlocked) }
        return try body()
    }

    private func acquire(_ mode: Mode, timeout: Duration) throws(DQError) {
        let deadline = Deadline.after(timeout)
        var pause: UInt32 = 100
        while true {
            do throws(Errno) {
                if try OpenFileLock.set(fd, mode.lockKind) { return }
            } catch {
                throw DQError(error, "cannot lock \(path)")
            }
            if deadline?.hasPassed == true {
                throw DQError(.timedOut, "\(path) stayed locked by another process for \(DurationText.format(timeout))")
            }
            // Only store set-up takes this lock, for milliseconds; a short poll is enough.
            CurrentProcess.sleep(microseconds: pause)
            pause = min(pause * 2, 5_000)
        }
    }
}
