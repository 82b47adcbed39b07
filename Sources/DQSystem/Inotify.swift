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

    /// `inotify_add_watch(2)`: makes `instance` readable when the file at `path` is
    /// modified, has its attributes changed, or is deleted or moved.
    ///
    /// - Throws: `Errno`, for example `.noSpace` when out of watches.
    public static func watchChanges(_ instance: FileDescriptor, path: String) throws(Errno) {
        let mask = UInt32(IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
        _ = try Errno.checking { inotify_add_watch(instance.rawValue, path, mask) }
    }

    /// `inotify_add_watch(2)` for modification (`IN_MODIFY`) alone.
    public static func watchModifications(_ instance: FileDescriptor, path: String) throws(Errno) {
        _ = try Errno.checking { inotify_add_watch(instance.rawValue, path, UInt32(IN_MODIFY)) }
    }
}
