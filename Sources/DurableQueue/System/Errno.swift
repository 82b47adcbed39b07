@preconcurrency import Glibc

/// The error number of a failed system call, with Swift names for the codes dq tells
/// apart and `strerror`'s words as its description.
///
/// Follows the shape of swift-system's `Errno` (a `RawRepresentable` struct with
/// named constants and `~=` for `catch` clauses), written out here because dq does not
/// depend on swift-system.
///
/// For example:
///
/// ```swift
/// do { try FileDescriptor.open(path, .readWrite, options: [.create, .exclusiveCreate], permissions: 0o600) }
/// catch Errno.fileExists { ... }
/// ```
struct Errno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    let rawValue: Int32

    init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The calling thread's `errno` now: read it at once after the failing call.
    static var current: Errno { Errno(rawValue: errno) }

    /// ENOENT
    static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    /// EEXIST
    static let fileExists = Errno(rawValue: EEXIST)
    /// EACCES
    static let permissionDenied = Errno(rawValue: EACCES)
    /// EPERM
    static let notPermitted = Errno(rawValue: EPERM)
    /// EINTR
    static let interrupted = Errno(rawValue: EINTR)
    /// EAGAIN, which is EWOULDBLOCK on Linux.
    static let resourceTemporarilyUnavailable = Errno(rawValue: EAGAIN)
    /// EWOULDBLOCK (the same number as EAGAIN on Linux).
    static let wouldBlock = Errno(rawValue: EWOULDBLOCK)
    /// ENOSPC
    static let noSpace = Errno(rawValue: ENOSPC)
    /// EROFS
    static let readOnlyFileSystem = Errno(rawValue: EROFS)
    /// ELOOP: among others, `O_NOFOLLOW` met a symbolic link.
    static let tooManySymbolicLinkLevels = Errno(rawValue: ELOOP)
    /// ENOTDIR
    static let notDirectory = Errno(rawValue: ENOTDIR)
    /// EBADF
    static let badFileDescriptor = Errno(rawValue: EBADF)

    /// `strerror`'s words, for example "No such file or directory".
    var description: String { String(cString: strerror(rawValue)) }

    /// As dq's one-line errors say it: `description`, but "disk full" for ENOSPC, as
    /// README promises.
    var message: String { self == .noSpace ? "disk full" : description }

    /// Matches an error in a `catch` clause: `catch Errno.fileExists { … }`.
    static func ~= (pattern: Errno, error: any Error) -> Bool {
        (error as? Errno) == pattern
    }
}

extension Errno {
    /// Calls `body` again while it fails with EINTR (a signal arrived while it
    /// blocked); any other failure (`-1`) is thrown as the `errno` it left.
    ///
    /// - Returns: what `body` returned, never `-1`.
    @inline(__always)
    static func retryingInterrupts<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno.current
            if error != .interrupted { throw error }
        }
    }

    /// Calls `body` once; a failure (`-1`) is thrown as the `errno` it left. For calls
    /// that must not be repeated after EINTR, or that cannot be interrupted.
    @inline(__always)
    static func checking<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
        let result = body()
        if result == -1 { throw Errno.current }
        return result
    }
}
