@preconcurrency import Glibc

/// What `stat(2)`, `lstat(2)` or `fstat(2)` tell about a file: its type, permission
/// bits, owner and size.
///
/// For example:
///
/// ```swift
/// if let status = try? FileStatus(path: path), status.type == .directory { ... }
/// ```
public struct FileStatus: Sendable {
    /// A user id (`uid_t`).
    public typealias UserID = uid_t

    /// The file's type (`st_mode & S_IFMT`).
    public struct FileType: RawRepresentable, Hashable, Sendable {
        public let rawValue: mode_t
        public init(rawValue: mode_t) { self.rawValue = rawValue }

        public static let regular = FileType(rawValue: S_IFREG)
        public static let directory = FileType(rawValue: S_IFDIR)
        public static let symbolicLink = FileType(rawValue: S_IFLNK)
        public static let characterDevice = FileType(rawValue: S_IFCHR)
        public static let blockDevice = FileType(rawValue: S_IFBLK)
        public static let fifo = FileType(rawValue: S_IFIFO)
        public static let socket = FileType(rawValue: S_IFSOCK)
    }

    public let type: FileType
    /// The permission bits, with set-id and sticky bits (`st_mode & 0o7777`).
    public let permissions: mode_t
    /// The owner's user id.
    public let owner: UserID
    /// The size in bytes.
    public let size: Int64
    /// The inode number.
    public let inode: UInt64
    /// The device it is on, as major and minor numbers (as `/proc/locks` names it).
    public let device: (major: UInt32, minor: UInt32)
    /// When its contents last changed, in microseconds since 1970.
    public let modifiedMicroseconds: Int64

    public init(_ info: stat) {
        type = FileType(rawValue: info.st_mode & S_IFMT)
        permissions = info.st_mode & 0o7777
        owner = info.st_uid
        size = Int64(info.st_size)
        inode = UInt64(info.st_ino)
        let dev = UInt64(info.st_dev)
        // glibc's gnu_dev_major / gnu_dev_minor.
        device = (UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)),
                  UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff)))
        modifiedMicroseconds = Int64(info.st_mtim.tv_sec) * 1_000_000 + Int64(info.st_mtim.tv_nsec) / 1_000
    }

    /// The status of the file at `path`: `stat(2)`, following a symbolic link, or with
    /// `followingLinks: false`, `lstat(2)`, the link's own.
    ///
    /// - Throws: `Errno`, for example `.noSuchFileOrDirectory`.
    public init(path: String, followingLinks: Bool = true) throws(Errno) {
        var info = stat()
        _ = try Errno.checking { followingLinks ? stat(path, &info) : lstat(path, &info) }
        self.init(info)
    }
}
