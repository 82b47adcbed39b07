import CLinuxShims
@preconcurrency import Glibc

/// An open file descriptor, and the system calls dq makes on one: open, close, read,
/// write, status and size. Calls that a signal can interrupt are retried on EINTR;
/// failures are thrown as `Errno`.
///
/// Like swift-system's `FileDescriptor` (written out here because dq does not depend on
/// swift-system), it does not own the descriptor: whoever opened it closes it.
///
/// For example:
///
/// ```swift
/// let fd = try FileDescriptor.open(path, .writeOnly, options: [.create, .closeOnExec, .noFollow], permissions: 0o600)
/// defer { fd.close() }
/// ```
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    /// The descriptor number, as the kernel knows it.
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Whether the file is opened for reading, writing or both.
    public struct AccessMode: Sendable {
        fileprivate let rawValue: Int32
        public static let readOnly = AccessMode(rawValue: O_RDONLY)
        public static let writeOnly = AccessMode(rawValue: O_WRONLY)
        public static let readWrite = AccessMode(rawValue: O_RDWR)
    }

    /// Flags for `open`.
    public struct OpenOptions: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// `O_CREAT`: create the file if it does not exist.
        public static let create = OpenOptions(rawValue: O_CREAT)
        /// `O_EXCL` (with `create`): fail with `Errno.fileExists` if it exists.
        public static let exclusiveCreate = OpenOptions(rawValue: O_EXCL)
        /// `O_CLOEXEC`: not inherited by programs this process executes.
        public static let closeOnExec = OpenOptions(rawValue: O_CLOEXEC)
        /// `O_NOFOLLOW`: fail (`Errno.tooManySymbolicLinkLevels`) on a symbolic link.
        public static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
        /// `O_APPEND`: every write goes to the end of the file.
        public static let append = OpenOptions(rawValue: O_APPEND)
    }

    /// `open(2)`: opens (with `.create`, creates with `permissions`) the file at `path`.
    ///
    /// - Throws: `Errno` (for example `.fileExists` with `.exclusiveCreate`).
    public static func open(_ path: String, _ access: AccessMode, options: OpenOptions = [],
                     permissions: mode_t = 0) throws(Errno) -> FileDescriptor {
        FileDescriptor(rawValue: try Errno.retryingInterrupts { Glibc.open(path, access.rawValue | options.rawValue, permissions) })
    }

    /// `close(2)`. Not retried and not reported: on Linux the descriptor is released
    /// even when close fails, and no caller has anything left to do about it.
    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// `read(2)` into `buffer`.
    ///
    /// - Returns: the number of bytes read, 0 at the end of the file.
    /// - Throws: `Errno`; `.wouldBlock` when a non-blocking descriptor has nothing to read.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try Errno.retryingInterrupts { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// `pread(2)`: reads into `buffer` from byte `offset`, leaving the file position.
    public func read(fromAbsoluteOffset offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try Errno.retryingInterrupts { pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// `write(2)` of `buffer`.
    ///
    /// - Returns: the number of bytes written.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try Errno.retryingInterrupts { Glibc.write(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// `pwrite(2)`: writes `buffer` at byte `offset`, leaving the file position.
    public func write(toAbsoluteOffset offset: Int64, _ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
        try Errno.retryingInterrupts { pwrite(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// `fstat(2)`: the status of the open file.
    public func status() throws(Errno) -> FileStatus {
        var info = stat()
        _ = try Errno.checking { fstat(rawValue, &info) }
        return FileStatus(info)
    }

    /// `ftruncate(2)`: makes the file `size` bytes long, with zeros if it grows.
    public func resize(to size: Int64) throws(Errno) {
        _ = try Errno.retryingInterrupts { ftruncate(rawValue, off_t(size)) }
    }

    /// Sets `FD_CLOEXEC` (`closeOnExec`) and `O_NONBLOCK` (`nonBlocking`) as asked,
    /// keeping the other flags.
    public func setFlags(closeOnExec: Bool, nonBlocking: Bool) throws(Errno) {
        if closeOnExec { _ = try Errno.checking { fcntl(rawValue, F_SETFD, FD_CLOEXEC) } }
        if nonBlocking {
            let flags = try Errno.checking { fcntl(rawValue, F_GETFL) }
            _ = try Errno.checking { fcntl(rawValue, F_SETFL, flags | O_NONBLOCK) }
        }
    }

    /// `pipe(2)`: a new pipe, bytes written to `writeEnd` readable from `readEnd`.
    public static func pipe() throws(Errno) -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
        var ends: [Int32] = [-1, -1]
        _ = try Errno.checking { Glibc.pipe(&ends) }
        return (FileDescriptor(rawValue: ends[0]), FileDescriptor(rawValue: ends[1]))
    }

    /// `pipe2(O_CLOEXEC)`: `pipe()` with both ends closed in executed programs from the
    /// start, so a child spawned meanwhile by another thread cannot inherit them.
    public static func pipeClosedOnExec() throws(Errno) -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
        var ends: [Int32] = [-1, -1]
        _ = try Errno.checking { dq_pipe_cloexec(&ends) }
        return (FileDescriptor(rawValue: ends[0]), FileDescriptor(rawValue: ends[1]))
    }

    /// Writes all of `buffer`, continuing after partial writes.
    ///
    /// - Throws: `Errno` from the first write that fails (what was before it is written).
    public func writeAll(_ buffer: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < buffer.count {
            offset += try write(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
        }
    }

    /// The whole contents of the file at `path`, read until its end (so it works for
    /// `/proc` files, whose size says 0), at most `limit` bytes.
    ///
    /// For example:
    ///
    /// ```swift
    /// let locks = try FileDescriptor.readWholeFile("/proc/locks")
    /// ```
    public static func readWholeFile(_ path: String, limit: Int = 16 << 20) throws(Errno) -> [UInt8] {
        let fd = try open(path, .readOnly, options: [.closeOnExec])
        defer { fd.close() }
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 1)
        defer { chunk.deallocate() }
        while bytes.count < limit {
            let count = try fd.read(into: chunk)
            if count == 0 { break }
            bytes += chunk.prefix(min(count, limit - bytes.count))
        }
        return bytes
    }
}
