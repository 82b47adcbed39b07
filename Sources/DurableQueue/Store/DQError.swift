import DQSystem

/// Every error the DurableQueue library throws: what went wrong, in one line a user
/// can act on, and which kind of failure it is.
///
/// The kind tells a caller whether retrying can help; the `dq` tool maps it to its
/// exit status.
///
/// For example:
///
/// ```swift
/// do { try queue.ack(receipt) } catch where error.kind == .staleReceipt {
///     print("already settled or redelivered: \(error)")
/// }
/// ```
public struct DQError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Which kind of failure an error is: says whether retrying can help.
    ///
    /// For example:
    ///
    /// ```swift
    /// let retryable = error.kind == .timedOut
    /// ```
    public enum Kind: Sendable, Equatable {
        /// The caller's input is wrong: a bad queue name, duration, or an over-size body.
        case invalidArgument
        /// The file is not a dq store: not SQLite, corrupt, another application's
        /// database, or written by a newer dq.
        case badStore
        /// The store cannot be created, opened or written: permissions, a read-only
        /// file or directory, a missing parent that cannot be made, or a full disk.
        case storeUnavailable
        /// A lock or busy wait ran out of time; trying again later may succeed.
        case timedOut
        /// A lease receipt no longer names a delivery: the message was settled, or its
        /// lease ran out and it was delivered again.
        case staleReceipt
        /// Out of a system resource: descriptors, inotify instances or watches, threads.
        case resourceExhausted
        /// The task was cancelled while it waited; nothing was taken.
        case cancelled
        /// Anything else: a bug or an unexpected SQLite failure.
        case internalError
    }

    /// Which kind of failure this is.
    public let kind: Kind
    /// One line, without a trailing newline, saying what failed and where.
    public let message: String

    /// An error of `kind` with `message` (one line, no trailing newline), for code that
    /// reports its own failures the way the library does.
    ///
    /// For example:
    ///
    /// ```swift
    /// throw DQError(.invalidArgument, "batch size must be at least 1")
    /// ```
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The `message`.
    public var description: String { message }
}

extension DQError {
    /// Translates a SQLite failure on the store at `path` into a `DQError`.
    init(_ error: SQLiteError, path: String) {
        // A full disk reaches SQLite as SQLITE_FULL, or as an I/O error (or a failed
        // open) from a system call that got ENOSPC, such as growing the -shm file. (The
        // errno means nothing for other errors: SQLite keeps the last one.)
        let fromSystemCall = [SQLiteError.ioError.rawValue, SQLiteError.cannotOpen.rawValue].contains(error.code)
        if fromSystemCall && Errno(rawValue: error.systemErrno) == .noSpace {
            self.init(.storeUnavailable, "cannot write \(path): disk full")
            return
        }
        switch error.code {
        case SQLiteError.notADatabase.rawValue:
            self.init(.badStore, "\(path) is not a dq store (not an SQLite database)")
        case SQLiteError.corrupt.rawValue:
            self.init(.badStore, "\(path) is corrupt: \(error.message)")
        case SQLiteError.full.rawValue:
            self.init(.storeUnavailable, "cannot write \(path): disk full")
        case SQLiteError.readOnly.rawValue:
            self.init(.storeUnavailable, "cannot write \(path): the file or its directory is read-only")
        case SQLiteError.cannotOpen.rawValue, SQLiteError.permission.rawValue:
            self.init(.storeUnavailable, "cannot open \(path): \(error.message)")
        case SQLiteError.ioError.rawValue:
            self.init(.storeUnavailable, "I/O error on \(path): \(error.message)")
        case SQLiteError.busy.rawValue, SQLiteError.locked.rawValue:
            self.init(.timedOut, "\(path) stayed locked by another process past the busy timeout")
        case SQLiteError.tooBig.rawValue:
            self.init(.invalidArgument, "value too large for the store: \(error.message)")
        default:
            self.init(.internalError, "\(path): \(error.description)")
        }
    }
}

/// Runs `body`, turning any `SQLiteError` it throws into a `DQError` for `path`.
func translatingErrors<T>(path: String, _ body: () throws -> T) throws(DQError) -> T {
    do {
        return try body()
    } catch let error as DQError {
        throw error
    } catch let error as SQLiteError {
        throw DQError(error, path: path)
    } catch {
        throw DQError(.internalError, "\(path): \(error)")
    }
}

/// Runs `body` again while it fails with `SQLITE_BUSY`, for at most `timeout`.
///
/// SQLite's busy handler covers most lock waits, but a few return `SQLITE_BUSY` at
/// once without calling it — for example a process opening the store while the last
/// other connection is closing it (checkpointing and removing the WAL). `body` must be
/// safe to repeat: a whole transaction that rolled back.
func retryingBusy<T>(timeout: Duration, _ body: () throws -> T) throws -> T {
    let deadline = Deadline.after(timeout)
    var pause: UInt32 = 100
    while true {
        do {
            return try body()
        } catch SQLiteError.busy where deadline?.hasPassed != true {
            CurrentProcess.sleep(microseconds: pause)
            pause = min(pause * 2, 10_000)
        }
    }
}
