import DQSystem
import Foundation
import Testing
@testable import DurableQueue

@Suite("System wrappers")
struct SystemTests {
    let directory = TemporaryDirectory()

    @Test("makeDirectory accepts a directory already there only with existingOK, and never a file")
    func makeDirectory() throws {
        let path = directory.file("made")
        try Directory.make(path, mode: 0o700, existingOK: false)
        #expect(try FileStatus(path: path).type == .directory)
        #expect(try FileStatus(path: path).permissions & 0o077 == 0)
        try Directory.make(path, mode: 0o700, existingOK: true)
        #expect(throws: Errno.fileExists) { try Directory.make(path, mode: 0o700, existingOK: false) }

        let file = directory.file("plain")
        try FileDescriptor.open(file, .writeOnly, options: [.create, .closeOnExec], permissions: 0o600).close()
        #expect(throws: Errno.fileExists) { try Directory.make(file, mode: 0o700, existingOK: true) }
        #expect(throws: Errno.notDirectory) { try Directory.make(file + "/below", mode: 0o700, existingOK: true) }
    }

    @Test("open reports errno as a typed Errno with strerror's words")
    func openErrors() throws {
        let path = directory.file("lock")
        let fd = try FileDescriptor.open(path, .readWrite, options: [.create, .exclusiveCreate, .closeOnExec], permissions: 0o600)
        fd.close()
        let exists = #expect(throws: Errno.self) {
            try FileDescriptor.open(path, .readWrite, options: [.create, .exclusiveCreate, .closeOnExec], permissions: 0o600)
        }
        #expect(exists == .fileExists)
        #expect(exists?.description == "File exists")
        #expect(throws: Errno.noSuchFileOrDirectory) { try FileDescriptor.open(directory.file("missing"), .readOnly) }

        try FileManager.default.createSymbolicLink(atPath: directory.file("link"), withDestinationPath: path)
        #expect(throws: Errno.tooManySymbolicLinkLevels) { try FileDescriptor.open(directory.file("link"), .readOnly, options: .noFollow) }
        #expect(Errno.noSpace.message == "disk full")
    }

    @Test("spawn runs a program with its streams and environment; wait reports the status as a shell does")
    func spawnAndWait() throws {
        let pipe = try FileDescriptor.pipeClosedOnExec()
        let child = try DQSystem.ChildProcess.spawn(["/bin/sh", "-c", "printf %s \"$GREETING\"; exit 3"], environment: ["GREETING=hello"],
                                           standardInput: .nullDevice, standardOutput: .descriptor(pipe.writeEnd))
        pipe.writeEnd.close()
        defer { pipe.readEnd.close() }
        var output = [UInt8](repeating: 0, count: 64)
        let count = try output.withUnsafeMutableBytes { try pipe.readEnd.read(into: $0) }
        #expect(String(decoding: output[..<count], as: UTF8.self) == "hello")
        #expect(child.wait().shellStatus == 3)

        let sleeper = try DQSystem.ChildProcess.spawn(["/bin/sleep", "10"])
        sleeper.send(.kill)
        #expect(sleeper.wait().shellStatus == 128 + Signal.kill.rawValue)
        #expect(throws: Errno.noSuchFileOrDirectory) { try DQSystem.ChildProcess.spawn([directory.file("missing")]) }
    }

    @Test("writeAll writes every byte through a close-on-exec pipe")
    func writeAllAndBrokenPipe() throws {
        let pipe = try FileDescriptor.pipeClosedOnExec()
        let bytes = Array("twelve bytes".utf8)
        try bytes.withUnsafeBytes { try pipe.writeEnd.writeAll($0) }
        var back = [UInt8](repeating: 0, count: bytes.count)
        #expect(try back.withUnsafeMutableBytes { try pipe.readEnd.read(into: $0) } == bytes.count)
        #expect(back == bytes)
        pipe.readEnd.close()
        pipe.writeEnd.close()
    }

    @Test("pwrite and pread round-trip; resize and fstat agree on the size")
    func readWrite() throws {
        let fd = try FileDescriptor.open(directory.file("data"), .readWrite, options: [.create, .closeOnExec], permissions: 0o600)
        defer { fd.close() }
        let written = try [UInt8]("hello".utf8).withUnsafeBytes { try fd.write(toAbsoluteOffset: 3, $0) }
        #expect(written == 5)
        #expect(try fd.status().size == 8)
        var buffer = [UInt8](repeating: 0, count: 5)
        let read = try buffer.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: 3, into: $0) }
        #expect(read == 5 && buffer == Array("hello".utf8))
        try fd.resize(to: 4_096)
        #expect(try fd.status().size == 4_096)
    }

    @Test("a flock held by one open file makes another's try come back false until released")
    func flockConflict() throws {
        let (first, second) = try twoOpenFiles("held")
        defer { first.close(); second.close() }
        #expect(try first.lockExclusively(waiting: false))
        #expect(try !second.lockExclusively(waiting: false))
        first.unlockFlock()
        #expect(try second.lockExclusively(waiting: false))
    }

    @Test("an open-file lock conflicts between open files of one process, and converts atomically")
    func openFileLockConflict() throws {
        let (first, second) = try twoOpenFiles("ofd")
        defer { first.close(); second.close() }
        #expect(try OpenFileLock.set(first, .exclusive))
        #expect(try !OpenFileLock.set(second, .shared))
        #expect(try OpenFileLock.set(first, .shared))
        #expect(try OpenFileLock.set(second, .shared))
        #expect(try !OpenFileLock.set(first, .exclusive))
    }

    /// Two open files of one new file, as two processes would have.
    private func twoOpenFiles(_ name: String) throws -> (FileDescriptor, FileDescriptor) {
        let path = directory.file(name)
        let first = try FileDescriptor.open(path, .readWrite, options: [.create, .closeOnExec], permissions: 0o600)
        return (first, try FileDescriptor.open(path, .readWrite, options: .closeOnExec))
    }
}
