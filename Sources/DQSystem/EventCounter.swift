import CLinuxShims
@preconcurrency import Glibc

/// eventfd(2): a kernel counter that is readable while it is above zero, so one thread
/// can wake another that sleeps in `Poll` on it. Non-blocking and closed on exec.
///
/// For example:
///
/// ```swift
/// let wake = try EventCounter()
/// wake.signal()                 // from any thread
/// _ = Poll.readable([wake.descriptor], milliseconds: 1_000)
/// wake.clear()
/// ```
public struct EventCounter: Sendable, Hashable {
    /// The descriptor to poll; readable once signalled, until cleared.
    public let descriptor: FileDescriptor

    /// A new counter at zero.
    ///
    /// - Throws: `Errno` (EMFILE when the process is out of descriptors).
    public init() throws(Errno) {
        descriptor = FileDescriptor(rawValue: try Errno.checking { dq_event_counter() })
    }

    /// Makes the descriptor readable (adds one to the counter). Safe from any thread.
    public func signal() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(descriptor.rawValue, $0.baseAddress, 8) }
    }

    /// Sets the counter back to zero, so the descriptor is no longer readable.
    public func clear() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(descriptor.rawValue, $0.baseAddress, 8) }
    }

    /// Closes the descriptor.
    public func close() {
        descriptor.close()
    }
}
