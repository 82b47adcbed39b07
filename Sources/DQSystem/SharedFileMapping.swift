import CLinuxShims
@preconcurrency import Glibc

/// A small file every process maps read-write (`MAP_SHARED`), for counters shared
/// between processes without system calls (`WaiterCounts`, `SharedCounterTable`).
public enum SharedFileMapping {
    /// Maps `length` bytes of `path`, creating it (0600) and growing it with zeros as
    /// needed; `nil` if any step fails. Unmap with `unmap(_:length:)`.
    public static func map(path: String, length: Int) -> UnsafeMutableRawPointer? {
        guard let (fd, mapping) = openMapped(path: path, length: length) else { return nil }
        fd.close()
        return mapping
    }

    /// Unmaps a mapping made by `map` or `openMapped`.
    public static func unmap(_ mapping: UnsafeMutableRawPointer, length: Int) {
        dq_unguard_shared_mapping(mapping)
        munmap(mapping, length)
    }

    /// `map`, keeping the file open: the caller owns the descriptor (to lock the file,
    /// say) and closes it.
    public static func openMapped(path: String, length: Int) -> (fd: FileDescriptor, mapping: UnsafeMutableRawPointer)? {
        guard let fd = try? FileDescriptor.open(path, .readWrite, options: [.create, .closeOnExec, .noFollow], permissions: 0o600) else {
            return nil
        }
        guard let size = try? fd.status().size, size >= Int64(length) || (try? fd.resize(to: Int64(length))) != nil,
              let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd.rawValue, 0), mapping != MAP_FAILED else {
            fd.close()
            return nil
        }
        // Truncated under us (by a clean-up job, say), the file would kill this process
        // with SIGBUS at the next access; guarded, the mapping turns private instead.
        _ = dq_guard_shared_mapping(mapping, UInt(length))
        return (fd, mapping)
    }

    /// `openMapped` for state that only live processes may hold (waiter counts, seats):
    /// cleared by `clear` (zeroed, unless told otherwise) when no other process has the
    /// file mapped, and locked shared (an `OpenFileLock`) for as long as the caller keeps
    /// the descriptor, so later openers know it is in use. `nil` if any step fails.
    public static func openClearingStale(path: String, length: Int,
                                         clear: ((UnsafeMutableRawPointer) -> Void)? = nil)
        -> (fd: FileDescriptor, mapping: UnsafeMutableRawPointer)? {
        guard let (fd, mapping) = openMapped(path: path, length: length) else { return nil }
        if (try? OpenFileLock.set(fd, .exclusive)) == true {
            // Nobody else has it mapped: anything left in it is a dead process's.
            if let clear { clear(mapping) } else { mapping.initializeMemory(as: UInt8.self, repeating: 0, count: length) }
        }
        // From exclusive, an atomic change. Otherwise this waits only while another
        // process zeroes the file (a few microseconds); without the shared lock our
        // state could be zeroed under us, so there is no giving up.
        guard (try? OpenFileLock.set(fd, .shared, waiting: true)) == true else {
            unmap(mapping, length: length)
            fd.close()
            return nil
        }
        return (fd, mapping)
    }
}
