import DQSystem
import Dispatch
import DurableQueue
import FoundationEssentials
import Synchronization

/// Collects what a command writes on its standard output (a request's reply, in
/// `dq worker`), on a thread of its own, until every writer has closed the pipe.
final class OutputCapture: Sendable {
    private let bytes = Mutex(Data())
    private let finished = DispatchSemaphore(value: 0)

    /// Makes the pipe and starts reading it; returns the end the command writes to (the
    /// caller closes it once the command has it). Close-on-exec, as the stdin pipe is.
    func start() throws(DQError) -> FileDescriptor {
        let ends: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        do throws(Errno) {
            ends = try FileDescriptor.pipeClosedOnExec()
        } catch {
            throw DQError(error, "pipe", otherwise: .internalError)
        }
        let reader = ends.readEnd
        detachThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { (try? reader.read(into: $0)) ?? 0 }
                if count <= 0 { break }
                bytes.withLock { $0.append(contentsOf: chunk[0..<count]) }
            }
            reader.close()
            finished.signal()
        }
        return ends.writeEnd
    }

    /// Everything the command wrote, once the pipe's last writer has closed it.
    func collected() -> Data {
        finished.wait()
        return bytes.withLock { $0 }
    }
}
