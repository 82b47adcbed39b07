import DQSystem
import FoundationEssentials

/// Where a store lives on disk, and preparing that place before SQLite opens it.
///
/// For example:
///
/// ```swift
/// let path = StoreLocation.defaultPath(environment: ProcessInfo.processInfo.environment)
/// ```
public enum StoreLocation {
    /// The environment variable that names the store when no path is given.
    public static let environmentVariable = "DQ_DB"

    /// The store path used when none is given: `$DQ_DB` if set and non-empty, else
    /// `$XDG_DATA_HOME/dq/default.db`, else `~/.local/share/dq/default.db`.
    ///
    /// `XDG_DATA_HOME` counts only when it is an absolute path. Nothing is created.
    ///
    /// For example:
    ///
    /// ```swift
    /// let path = StoreLocation.defaultPath(environment: ["HOME": "/home/ann"])
    /// // "/home/ann/.local/share/dq/default.db"
    /// ```
    public static func defaultPath(environment: [String: String]) -> String {
        if let path = environment[environmentVariable], !path.isEmpty {
            return path
        }
        if let dataHome = environment["XDG_DATA_HOME"], dataHome.hasPrefix("/") {
            return dataHome + "/dq/default.db"
        }
        return homeDirectory(environment: environment) + "/.local/share/dq/default.db"
    }

    private static func homeDirectory(environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        return CurrentProcess.passwordHomeDirectory ?? "/tmp"
    }

    /// Makes sure the store file can be opened with `access`. For `.create`: creates
    /// missing parent directories (mode 0700) and, when the file does not exist yet,
    /// creates it empty with mode 0600 so SQLite (and its `-wal` / `-shm` files, which
    /// copy the mode) never makes it world-readable. The other modes create nothing.
    ///
    /// - Returns: `true` if this call created the file.
    /// - Throws: `DQError` `.permissionDenied` when the file may not be written (but
    ///   for `.readOnly`) or its folder not searched; `.storeUnavailable` "no store at
    ///   PATH" for a missing or empty file unless `.create`; the kind the errno says
    ///   (`.permissionDenied`, `.diskFull`, …), else `.storeUnavailable`, when a
    ///   directory or the file cannot be made; `.storeUnavailable` when the path names
    ///   something other than a regular file (a directory, a device, a FIFO, a socket).
    static func prepare(path: String, access: StoreAccess = .create) throws(DQError) -> Bool {
        let status = Result { () throws(Errno) in try FileStatus(path: path) }
        if case .success(let info) = status {
            switch info.type {
            case .regular:
                // A file no one has made a store of yet (or whose maker is still at it).
                if access != .create && info.size == 0 { throw noStore(path, "the file is empty") }
                if access == .readOnly { return false }
                // Before SQLite opens it: a store opened read-only would leave read-only
                // -wal and -shm files behind, which break it once it is writable again.
                do throws(Errno) { try FileSystem.checkWritable(path) } catch where error == .permissionDenied {
                    throw DQError(.permissionDenied, "cannot write \(path): permission denied (mode \(String(info.permissions, radix: 8)))")
                } catch {
                    // Any other failure is left for SQLite's open to report.
                }
                matchLogModes(of: path, to: info)
                return false
            case .directory: throw DQError(.storeUnavailable, "cannot open \(path): it is a directory")
            case .characterDevice: throw notAFile(path, "a character device")
            case .blockDevice: throw notAFile(path, "a block device")
            case .fifo: throw notAFile(path, "a FIFO")
            case .socket: throw notAFile(path, "a socket")
            default: throw notAFile(path, "not a regular file")
            }
        }
        if access != .create {
            if case .failure(let error) = status, error != .noSuchFileOrDirectory && error != .notDirectory {
                throw DQError(error, "cannot open \(path)")
            }
            throw noStore(path)
        }
        try makeDirectories(parentOf: path)
        // The file does not exist, so no SQLite connection in this process has it open:
        // closing this descriptor cannot drop anyone's POSIX locks.
        do throws(Errno) {
            try FileDescriptor.open(path, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec, .noFollow], permissions: 0o600).close()
        } catch .fileExists {
            return false
        } catch {
            throw DQError(error, "cannot create \(path)")
        }
        return true
    }

    /// The error for a store that is not there: `no store at PATH`, and why when
    /// `detail` says (`.storeUnavailable`, exit status 73 in `dq`).
    static func noStore(_ path: String, _ detail: String? = nil) -> DQError {
        DQError(.storeUnavailable, "no store at \(path)" + (detail.map { " (\($0))" } ?? ""))
    }

    /// Gives `PATH-wal` and `PATH-shm` the store file's permissions, plus the owner's
    /// read and write: SQLite makes them with the mode the store file had then, so an
    /// earlier attempt on a read-only store (by an older dq, or SQLite itself) may have
    /// left them read-only, which keeps the store read-only after the file is writable
    /// again; and a store made readable to others after it was created stays unreadable
    /// to them while its log is not.
    private static func matchLogModes(of path: String, to store: FileStatus) {
        guard CurrentProcess.effectiveUserID == store.owner else { return }
        let wanted = store.permissions & 0o777 | 0o600
        for side in [path + "-wal", path + "-shm"] {
            guard let info = try? FileStatus(path: side, followingLinks: false), info.type == .regular,
                  info.owner == store.owner, info.permissions & 0o777 != wanted else { continue }
            try? FileSystem.setPermissions(side, wanted)
        }
    }

    /// A store must be a regular file: SQLite would create its side files beside a
    /// device or FIFO, and fail only then.
    private static func notAFile(_ path: String, _ what: String) -> DQError {
        DQError(.storeUnavailable, "cannot use \(path) as a store: it is \(what), not a regular file")
    }

    /// The directory that holds `path`: `.` for a bare file name, `/` for a file in the root.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// `mkdir -p` for the directory that holds `path`.
    private static func makeDirectories(parentOf path: String) throws(DQError) {
        try makeDirectories(directory(of: path))
    }

    /// `mkdir -p` for `directory`: each missing directory made with mode 0700.
    package static func makeDirectories(_ directory: String) throws(DQError) {
        if directory == "." || directory == "/" { return }
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            do throws(Errno) {
                try Directory.make(prefix, mode: 0o700, existingOK: true)
            } catch .fileExists {
                throw DQError(.storeUnavailable, "cannot create directory \(prefix): a file is in the way")
            } catch {
                throw DQError(error, "cannot create directory \(prefix)")
            }
        }
    }

    /// The size in bytes of the file at `path`, or 0 if it does not exist.
    static func fileSize(_ path: String) -> Int64 {
        (try? FileStatus(path: path).size) ?? 0
    }

    /// The filesystem's name (as `filesystemType(of:)` gives it) when `path`, or the
    /// nearest directory above it that exists, is on a filesystem that cannot hold a
    /// WAL-mode store (`Doctor.isUnsafe(filesystem:)`); `nil` when it can, or cannot be
    /// told.
    ///
    /// One `statfs` decides for local filesystems; the mount table is read only when
    /// the filesystem's magic number is a network or FUSE one.
    static func unsafeFilesystem(of path: String) -> String? {
        var checked = path
        var magic = Result { () throws(Errno) in try FileSystem.magic(of: checked) }
        while case .failure(.noSuchFileOrDirectory) = magic, checked != "/" && checked != "." {
            checked = directory(of: checked)
            magic = Result { () throws(Errno) in try FileSystem.magic(of: checked) }
        }
        guard case .success(let number) = magic, remoteOrFUSEMagics.contains(number) else { return nil }
        guard let type = filesystemType(of: checked), Doctor.isUnsafe(filesystem: type) else { return nil }
        return type
    }

    /// `statfs` magic numbers (linux/magic.h) of the filesystems `Doctor.isUnsafe`
    /// names: NFS, SMB, CIFS, SMB2, 9P, AFS (two), Ceph, FUSE (sshfs, GlusterFS,
    /// davfs2 …), Coda and VirtualBox shared folders. An array: every command checks it
    /// once, and a Set would cost a protocol-conformance search at start.
    private static let remoteOrFUSEMagics: [UInt32] = [
        0x6969, 0x517B, 0xFF53_4D42, 0xFE53_4D42, 0x0102_1997, 0x5346_414F, 0x6B41_4653,
        0x00C3_6400, 0x6573_5546, 0x7375_7245, 0x786F_4256,
    ]

    /// The type of the filesystem holding `path` as the kernel names it (`ext4`,
    /// `tmpfs`, `nfs4`, `fuse.sshfs`, …): the mount in `/proc/self/mounts` with the
    /// longest mount point that contains the path. `nil` if it cannot be told (for
    /// example, the path does not exist).
    ///
    /// For example:
    ///
    /// ```swift
    /// let type = StoreLocation.filesystemType(of: "/tmp") ?? "unknown"
    /// ```
    public static func filesystemType(of path: String) -> String? {
        guard let target = try? FileSystem.resolve(path),
              let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return nil }
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            // Mount points escape spaces and other bytes as octal (\040).
            let point = unescapeOctal(String(fields[1]))
            let contains = point == "/" || target == point || target.hasPrefix(point + "/")
            if contains, point.count >= (best?.point.count ?? -1) {
                best = (point, String(fields[2]))
            }
        }
        return best?.type
    }

    private static func unescapeOctal(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
