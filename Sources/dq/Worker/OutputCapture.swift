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
            // A pipe read fails only on a bad descriptor: what came before is kept.
            let output = (try? reader.readToEnd()) ?? Data()
            reader.close()
            bytes.withLock { $0 = output }
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
