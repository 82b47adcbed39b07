import DQSystem

extension DQError.Kind {
    /// The kind a failed system call's `errno` says by itself: `permissionDenied` for
    /// EACCES, EPERM and EROFS; `diskFull` for ENOSPC and EDQUOT; `resourceExhausted`
    /// for EMFILE, ENFILE, ENOMEM, ENOLCK and EAGAIN. `nil` for any other errno, whose
    /// kind depends on the call that failed.
    ///
    /// Calls whose errno means something else (ENOSPC from `inotify_add_watch` is the
    /// watch limit, not the disk) decide for themselves.
    package init?(errno: Errno) {
        switch errno {
        case .permissionDenied, .operationNotPermitted, .readOnlyFileSystem: self = .permissionDenied
        case .noSpace, .quotaExceeded: self = .diskFull
        case .tooManyOpenFiles, .tooManyOpenFilesInSystem, .outOfMemory, .noLocksAvailable,
             .resourceTemporarilyUnavailable: self = .resourceExhausted
        default: return nil
        }
    }
}

extension DQError {
    /// An error for `what` (for example "cannot create PATH") that failed with `errno`:
    /// the message is `what`, a colon and the errno's words; the kind is the one the
    /// errno says (`Kind(errno:)`), else `otherwise`.
    ///
    /// For example:
    ///
    /// ```swift
    /// catch { throw DQError(error, "cannot create \(path)") }
    /// ```
    package init(_ errno: Errno, _ what: String, otherwise: Kind = .storeUnavailable) {
        self.init(Kind(errno: errno) ?? otherwise, "\(what): \(errno.message)")
    }
}
