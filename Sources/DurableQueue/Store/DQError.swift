import DQSystem

/// Every error the DurableQueue library throws: what went wrong, in one line a user
/// can act on, and which kind of failure it is.
///
/// The kind tells a caller what to fix and whether retrying can help (`isRetryable`);
/// the `dq` tool maps it to its exit status.
///
/// For example:
///
/// ```swift
/// do { try queue.ack(receipt) } catch where error.kind == .staleReceipt {
///     print("already settled or redelivered: \(error)")
/// }
/// ```
public struct DQError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Which kind of failure an error is: says what to fix, and whether trying again
    /// later can succeed (`isRetryable`).
    ///
    /// For example:
    ///
    /// ```swift
    /// if error.kind == .diskFull { freeSomeSpace() }
    /// ```
    public enum Kind: Sendable, Equatable {
        /// The caller's input is wrong: a bad queue name, duration, an over-size body, or
        /// a value that cannot be encoded as JSON. Not retryable: the same call fails the
        /// same way.
        case invalidArgument
        /// The file is not a dq store: not SQLite, corrupt, another application's
        /// database, or written by a newer dq. Not retryable.
        case badStore
        /// A stored value is not what the caller asked for: a message body or dict value
        /// that is not JSON, or not JSON of the requested type. Not retryable: the value
        /// stays as it is.
        case invalidData
        /// This user may not open or write the store, its directory or a file beside it:
        /// their permissions (EACCES, SQLITE_PERM), an immutable file (EPERM), or a
        /// read-only filesystem (EROFS). Every "read-only" is this kind, whatever made it
        /// read-only, including SQLite's SQLITE_READONLY. Not retryable until someone
        /// changes the permissions or the mount.
        case permissionDenied
        /// No space is left for the store or the files beside it: the disk is full
        /// (ENOSPC, SQLITE_FULL) or the user's quota is used up (EDQUOT). Retryable:
        /// nothing was half-written, and writes work again once space is freed.
        case diskFull
        /// The process or the system ran out of something other than disk: file
        /// descriptors (EMFILE, ENFILE), inotify instances or watches, memory (ENOMEM,
        /// SQLITE_NOMEM), file locks (ENOLCK), or processes and threads (EAGAIN).
        /// Retryable: they come back as other work lets go of them.
        case resourceExhausted
        /// The store cannot be used for another reason: a missing file or directory that
        /// cannot be made, a path that is a directory or a device, a side file dq refuses,
        /// a network or FUSE filesystem (where WAL is impossible), an I/O error. Not
        /// retryable: the place has to be fixed first.
        case storeUnavailable
        /// A lock or busy wait ran out of time. Retryable: the holder lets go sooner or
        /// later.
        case timedOut
        /// The task was cancelled while it waited (an async wait); nothing was taken or
        /// changed. Not retryable: the caller asked to stop.
        case cancelled
        /// A lease receipt no longer names a delivery: the message was settled, or its
        /// lease ran out and it was delivered again. Not retryable: the receipt stays
        /// stale.
        case staleReceipt
        /// Anything else: a bug or an unexpected SQLite failure. Not retryable.
        case internalError

        /// Whether trying the same call again later can succeed without anyone fixing
        /// anything: `timedOut`, `diskFull` and `resourceExhausted`.
        ///
        /// For example:
        ///
        /// ```swift
        /// let retry = DQError.Kind.diskFull.isRetryable  // true
        /// ```
        public var isRetryable: Bool {
            switch self {
            case .timedOut, .diskFull, .resourceExhausted: true
            case .invalidArgument, .badStore, .invalidData, .permissionDenied, .storeUnavailable, .cancelled,
                 .staleReceipt, .internalError: false
            }
        }
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

    /// Whether trying the same call again later can succeed: the kind's `isRetryable`.
    ///
    /// For example:
    ///
    /// ```swift
    /// do { try queue.put(body) } catch where error.isRetryable { scheduleRetry(body) }
    /// ```
    public var isRetryable: Bool { kind.isRetryable }

    /// The `message`.
    public var description: String { message }
}

extension DQError {
    /// Translates a SQLite failure on the store at `path` into a `DQError`.
    init(_ error: SQLiteError, path: String) {
        switch error.code {
        case SQLiteError.notADatabase.rawValue:
            self.init(.badStore, "\(path) is not a dq store (not an SQLite database)")
        case SQLiteError.corrupt.rawValue:
            self.init(.badStore, "\(path) is corrupt: \(error.message)")
        case SQLiteError.full.rawValue:
            self.init(.diskFull, "cannot write \(path): disk full")
        case SQLiteError.readOnly.rawValue where error.extendedCode == SQLiteError.databaseMoved:
            self.init(.storeUnavailable, "\(path) was moved or deleted while open")
        case SQLiteError.readOnly.rawValue:
            self.init(.permissionDenied, "cannot write \(path): the file or its directory is read-only")
        case SQLiteError.permission.rawValue:
            self.init(.permissionDenied, "cannot open \(path): \(error.message)")
        case SQLiteError.cannotOpen.rawValue, SQLiteError.ioError.rawValue:
            self.init(systemCallFailure: error, path: path)
        case SQLiteError.outOfMemory.rawValue:
            self.init(.resourceExhausted, "\(path): out of memory")
        case SQLiteError.busy.rawValue, SQLiteError.locked.rawValue:
            self.init(.timedOut, "\(path) stayed locked by another process past the busy timeout")
        case SQLiteError.tooBig.rawValue:
            self.init(.invalidArgument, "value too large for the store: \(error.message)")
        default:
            self.init(.internalError, "\(path): \(error.description)")
        }
    }

    /// A failed open or I/O error, whose kind the system call's errno tells: a full
    /// disk, for example, reaches SQLite as ENOSPC from growing the -shm file. (The
    /// errno means nothing for other errors: SQLite keeps the last one.)
    private init(systemCallFailure error: SQLiteError, path: String) {
        let errno = error.systemErrno == 0 ? nil : Errno(rawValue: error.systemErrno)
        let outOfMemory = error.extendedCode == SQLiteError.ioOutOfMemory
        let kind = errno.flatMap(Kind.init(errno:)) ?? (outOfMemory ? .resourceExhausted : .storeUnavailable)
        if kind == .diskFull, let errno {
            self.init(.diskFull, "cannot write \(path): \(errno.message)")
            return
        }
        let failed = error.code == SQLiteError.cannotOpen.rawValue ? "cannot open" : "I/O error on"
        self.init(kind, "\(failed) \(path): \(error.message)" + (errno.map { " (\($0.message))" } ?? ""))
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
    // The deadline counts from the first try, but is worked out only once a try fails
    // (a `Duration`'s arithmetic costs more than the clock read).
    let start = Deadline.monotonicNanoseconds()
    var deadline: Deadline?
    var pause: UInt32 = 100
    while true {
        do {
            return try body()
        } catch let error where SQLiteError.busy ~= error {
            if deadline == nil { deadline = Deadline.after(timeout, from: start) }
            if deadline?.hasPassed == true { throw error }
            CurrentProcess.sleep(microseconds: pause)
            pause = min(pause * 2, 10_000)
        }
    }
}
