@preconcurrency import Glibc

/// inotify(7): a descriptor that becomes readable when a watched file changes.
public enum Inotify {
    /// `inotify_init1(IN_CLOEXEC | IN_NONBLOCK)` (without `IN_NONBLOCK` if not
    /// `nonBlocking`, so a read sleeps until an event): a new inotify instance, watching
    /// nothing yet; close it with `FileDescriptor.close()`.
    ///
    /// - Throws: `Errno`, for example when the user's instance limit is reached.
    public static func open(nonBlocking: Bool = true) throws(Errno) -> FileDescriptor {
        let flags = nonBlocking ? IN_CLOEXEC | IN_NONBLOCK : IN_CLOEXEC
        return FileDescriptor(rawValue: try Errno.checking { inotify_init1(Int32(flags)) })
    }

    /// `inotify_add_watch(2)` for modification (`IN_MODIFY`) alone.
    public static func watchModifications(_ instance: FileDescriptor, path: String) throws(Errno) {
        _ = try Errno.checking { inotify_add_watch(instance.rawValue, path, UInt32(IN_MODIFY)) }
    }

    /// `inotify_add_watch(2)`: makes `instance` readable when the file at `path` is
    /// modified, has its attributes changed, or is deleted or moved (for a directory:
    /// when a file in it is). Returns the watch descriptor that `readEvents` reports
    /// (the same one again for a file already watched).
    ///
    /// - Throws: `Errno`, for example `.noSpace` when out of watches.
    @discardableResult
    public static func addWatch(_ instance: FileDescriptor, path: String) throws(Errno) -> Int32 {
        let mask = UInt32(IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
        return try Errno.checking { inotify_add_watch(instance.rawValue, path, mask) }
    }

    /// `inotify_rm_watch(2)`; failures (the watch is already gone) are ignored.
    public static func removeWatch(_ instance: FileDescriptor, watch: Int32) {
        _ = inotify_rm_watch(instance.rawValue, watch)
    }

    /// One event read from an instance.
    public struct Event: Sendable {
        /// The watch descriptor it is about; -1 when the kernel's queue overflowed
        /// (events were lost: treat every watch as changed).
        public let watch: Int32
        /// Whether the kernel removed the watch (its file was deleted, or
        /// `removeWatch` was called): it reports nothing more.
        public let watchRemoved: Bool
    }

    /// Reads every event queued on a non-blocking `instance` without sleeping, calling
    /// `body` for each.
    ///
    /// - Returns: whether there was any.
    @discardableResult
    public static func readEvents(_ instance: FileDescriptor, _ body: (Event) -> Void) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 8) { buffer in
            var any = false
            while true {
                let count = (try? instance.read(into: buffer)) ?? -1
                guard count > 0 else { return any }
                any = true
                var offset = 0
                // Each event: wd, mask, cookie, len (4 bytes each), then `len` bytes of name.
                while offset + 16 <= count {
                    let watch = buffer.load(fromByteOffset: offset, as: Int32.self)
                    let mask = buffer.load(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(buffer.load(fromByteOffset: offset + 12, as: UInt32.self))
                    let overflow = mask & UInt32(IN_Q_OVERFLOW) != 0
                    body(Event(watch: overflow ? -1 : watch, watchRemoved: mask & UInt32(IN_IGNORED) != 0))
                    offset += 16 + length
                }
                if count < buffer.count - 272 { return any }
            }
        }
    }
}
