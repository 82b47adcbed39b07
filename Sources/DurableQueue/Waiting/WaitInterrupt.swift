import DQSystem

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
    /// - Throws: `DQError.Kind.resourceExhausted` if the process is out of descriptors.
    public init() throws(DQError) {
        let ends: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        do throws(Errno) { ends = try FileDescriptor.pipe() } catch { throw DQError(error, "pipe", otherwise: .internalError) }
        for fd in [ends.readEnd, ends.writeEnd] {
            try? fd.setFlags(closeOnExec: true, nonBlocking: true)
        }
        fileDescriptor = ends.readEnd.rawValue
        signalDescriptor = ends.writeEnd.rawValue
    }

    deinit {
        FileDescriptor(rawValue: fileDescriptor).close()
        FileDescriptor(rawValue: signalDescriptor).close()
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
        _ = try? withUnsafeBytes(of: &one) { try FileDescriptor(rawValue: signalDescriptor).write($0) }
    }

    /// Whether `signal()` was called since the last `reset()`.
    ///
    /// For example:
    ///
    /// ```swift
    /// if interrupt.isSignalled { return }
    /// ```
    public var isSignalled: Bool {
        Poll.readable([FileDescriptor(rawValue: fileDescriptor)], milliseconds: 0)[0]
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
        let fd = FileDescriptor(rawValue: fileDescriptor)
        while ((try? buffer.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? -1) > 0 {}
    }
}
