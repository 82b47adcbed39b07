import DQSystem
import Foundation

/// D1: the CPU an idle `dq web` uses with no page open, against W7's idle consumer in the
/// same run (both only wait on the store).
extension BenchRunner {
    func webIdle() throws -> [BenchResult] {
        progress("D1-W7 \(Workload.w7.title) (D1's floor)")
        let w7 = try idleConsumer(as: "D1-W7", title: "W7 in this run (D1's floor)")
        progress("D1 \(Workload.d1.title)")
        let db = try freshStore("D1")
        // A store with one queue holding a message, made by the dq under test.
        let made = try ChildProcess.spawn([configuration.executable, "put", "d1", "waiting", "--db", db],
                                          standardInput: .nullDevice, standardOutput: .nullDevice).wait()
        guard made.exitCode == 0 else { throw BenchError(description: "cannot make D1's store") }
        let used = try Self.idleCPU(of: [configuration.executable, "web", "--listen", "127.0.0.1:0", "--db", db],
                                    seconds: sizes.idleSeconds)
        let title = "dq web idle \(BenchResult.number(sizes.idleSeconds))s, no page open, CPU used"
        return [w7, result("D1", title, value: Double(used) / 1_000_000, unit: "ms", n: 1, floor: w7.value)]
    }

    /// Starts `arguments` (a server that prints a line once it serves), lets it settle for a
    /// second, and returns the CPU time (ns) its threads use in the next `seconds`, read from
    /// `/proc/PID/task/*/schedstat`; then stops it with SIGTERM.
    static func idleCPU(of arguments: [String], seconds: Double) throws -> UInt64 {
        let pipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        let child: ChildProcess
        do throws(Errno) {
            pipe = try FileDescriptor.pipeClosedOnExec()
            child = try ChildProcess.spawn(arguments, standardInput: .nullDevice, standardOutput: .descriptor(pipe.writeEnd))
        } catch {
            throw BenchError(description: "cannot start \(arguments[0]) web: \(error.description)")
        }
        pipe.writeEnd.close()
        defer {
            child.send(.terminate)
            _ = child.wait()
            pipe.readEnd.close()
        }
        guard LineReader(fd: pipe.readEnd).nextLine()?.contains("serving") == true else {
            throw BenchError(description: "dq web did not start")
        }
        CurrentProcess.sleep(microseconds: 1_000_000)
        let before = runTimes(of: child.id)
        CurrentProcess.sleep(microseconds: UInt32(seconds * 1_000_000))
        // Per thread: what each ran since `before` (a thread that ended meanwhile is
        // missed; one that started counts whole).
        return runTimes(of: child.id).reduce(0) { total, thread in
            total &+ (thread.value &- min(thread.value, before[thread.key] ?? 0))
        }
    }

    /// The time (ns) each thread of process `pid` has run so far, by thread id.
    static func runTimes(of pid: Int32) -> [String: UInt64] {
        let tasks = (try? Directory.entries("/proc/\(pid)/task")) ?? []
        var times: [String: UInt64] = [:]
        for task in tasks {
            let text = (try? FileDescriptor.readWholeFile("/proc/\(pid)/task/\(task)/schedstat")).map { String(decoding: $0, as: UTF8.self) }
            times[task] = text?.split(separator: " ").first.flatMap { UInt64($0) } ?? 0
        }
        return times
    }
}
