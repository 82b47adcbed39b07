@preconcurrency import Glibc

/// `poll(2)` for readability.
public enum Poll {
    /// Waits until one of `descriptors` is readable (or hung up, or in error), or
    /// `milliseconds` pass (`0`: just look). Not retried on EINTR: a signal ends the
    /// wait as a timeout does, and callers look again.
    ///
    /// - Returns: for each descriptor, in order, whether it is ready; all `false` on a
    ///   timeout, an interruption or an error.
    public static func readable(_ descriptors: [FileDescriptor], milliseconds: Int32) -> [Bool] {
        var fds = descriptors.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), milliseconds) }
        if ready <= 0 { return Array(repeating: false, count: fds.count) }
        return fds.map { $0.revents != 0 }
    }
}
