@preconcurrency import Glibc

/// Ends blocking waits early: pass it to `Queue.get(limit:timeout:interrupt:)` and call
/// `signal()` from any thread — or from a signal handler, by writing a byte to
/// `signalDescriptor` (`write` is async-signal-safe) — to make the wait return.
///
/// Once signalled it stays signalled until `reset()`.
///
/// For example, stopping a blocked consumer from another thread:
///
/// ```swift
/// let stop = try WaitInterrupt()
/// DispatchQueue.global().asyncAfter(deadline: .now() + 5) { stop.signal() }
/// let messages = try queue.get(limit: 1, timeout: nil, interrupt: stop)   // [] once stopped
/// ```
public final class WaitInterrupt: @unchecked Sendable {
    // @unchecked: the only state is a pipe, and pipe reads and writes are atomic in
    // the kernel.

    /// The pipe's read end: readable while signalled. Waits poll it.
    public let fileDescriptor: Int32
    /// The pipe's write end: a byte written here signals.
    public let signalDescriptor: Int32

    /// A new, unsignalled interrupt: a non-blocking pipe, closed when it is freed.
    ///
    /// For example:
    ///
    /// ```swift
    /// let interrupt = try WaitInterrupt()
    /// ```
    ///
    /// - Throws: `DQError.internalError` if the process is out of descriptors.
    public init() throws(DQError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw DQError(.internalError, "pipe: \(StoreLocation.describe(errno))") }
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        fileDescriptor = ends[0]
        signalDescriptor = ends[1]
    }

    deinit {
        close(fileDescriptor)
        close(signalDescriptor)
    }

    /// Makes current and future waits return until `reset()`.
    ///
    /// Safe to call from any thread, any number of times.
    ///
    /// For example:
    ///
    /// ```swift
    /// interrupt.signal()
    /// ```
    public func signal() {
        var one: UInt8 = 1
        _ = write(signalDescriptor, &one, 1)
    }

    /// Whether `signal()` was called since the last `reset()`.
    ///
    /// For example:
    ///
    /// ```swift
    /// if interrupt.isSignalled { return }
    /// ```
    public var isSignalled: Bool {
        var ready = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&ready, 1, 0) > 0
    }

    /// Clears the signal, so the next wait that gets this interrupt blocks again.
    ///
    /// For example:
    ///
    /// ```swift
    /// interrupt.reset()
    /// ```
    public func reset() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(fileDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}
