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
public struct Errno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The calling thread's `errno` now: read it at once after the failing call.
    public static var current: Errno { Errno(rawValue: errno) }

    /// ENOENT
    public static let noSuchFileOrDirectory = Errno(rawValue: ENOENT)
    /// EEXIST
    public static let fileExists = Errno(rawValue: EEXIST)
    /// EACCES
    public static let permissionDenied = Errno(rawValue: EACCES)
    /// EPERM: among others, an immutable or append-only file.
    public static let operationNotPermitted = Errno(rawValue: EPERM)
    /// EROFS
    public static let readOnlyFileSystem = Errno(rawValue: EROFS)
    /// EINTR
    public static let interrupted = Errno(rawValue: EINTR)
    /// EAGAIN, which is EWOULDBLOCK on Linux.
    public static let resourceTemporarilyUnavailable = Errno(rawValue: EAGAIN)
    /// EWOULDBLOCK (the same number as EAGAIN on Linux).
    public static let wouldBlock = Errno(rawValue: EWOULDBLOCK)
    /// ENOSPC
    public static let noSpace = Errno(rawValue: ENOSPC)
    /// EDQUOT: the user's disk quota is used up.
    public static let quotaExceeded = Errno(rawValue: EDQUOT)
    /// EMFILE: the process has as many descriptors open as it may, or the user as many
    /// inotify instances.
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    /// ENFILE: the system has as many files open as it may.
    public static let tooManyOpenFilesInSystem = Errno(rawValue: ENFILE)
    /// ENOMEM
    public static let outOfMemory = Errno(rawValue: ENOMEM)
    /// ENOLCK: the kernel has no room for another lock.
    public static let noLocksAvailable = Errno(rawValue: ENOLCK)
    /// ELOOP: among others, `O_NOFOLLOW` met a symbolic link.
    public static let tooManySymbolicLinkLevels = Errno(rawValue: ELOOP)
    /// ENOTDIR
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    /// EISDIR
    public static let isADirectory = Errno(rawValue: EISDIR)
    /// EPIPE: a write to a pipe or socket whose reading end is closed.
    public static let brokenPipe = Errno(rawValue: EPIPE)

    /// `strerror`'s words, for example "No such file or directory".
    public var description: String { String(cString: strerror(rawValue)) }

    /// As dq's one-line errors say it: `description`, but "disk full" for ENOSPC, as
    /// README promises.
    public var message: String { self == .noSpace ? "disk full" : description }

    /// Matches an error in a `catch` clause: `catch Errno.fileExists { … }`.
    public static func ~= (pattern: Errno, error: any Error) -> Bool {
        (error as? Errno) == pattern
    }
}

extension Errno {
    /// Calls `body` again while it fails with EINTR (a signal arrived while it
    /// blocked); any other failure (`-1`) is thrown as the `errno` it left.
    ///
    /// - Returns: what `body` returned, never `-1`.
    @inlinable
    public static func retryingInterrupts<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno.current
            if error != .interrupted { throw error }
        }
    }

    /// Calls `body` once; a failure (`-1`) is thrown as the `errno` it left. For calls
    /// that must not be repeated after EINTR, or that cannot be interrupted.
    @inlinable
    public static func checking<T: FixedWidthInteger>(_ body: () -> T) throws(Errno) -> T {
        let result = body()
        if result == -1 { throw Errno.current }
        return result
    }
}
