import Foundation
import Testing

/// Runs every script in examples/ and the Swift examples, and checks what they print.
@Suite("Examples")
struct ExampleTests {
    let directory = TemporaryDirectory()

    static let examples: String = {
        // Tests/DurableQueueTests/ExampleTests.swift → the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("examples").path
    }()

    static var scripts: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: examples)) ?? []).filter { $0.hasSuffix(".sh") }.sorted()
    }

    @Test("the examples are all there")
    func present() {
        #expect(Self.scripts.count == 8)
    }

    @Test("each example prints what its .expected file says", arguments: ExampleTests.scripts)
    func script(name: String) throws {
        let path = Self.examples + "/" + name
        let expected = try String(contentsOfFile: path.replacing(".sh", with: ".expected"), encoding: .utf8)
        let environment = [
            "DQ_DB": directory.file("store.db"),
            "PATH": Executables.directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
        ]
        let result = try ChildProcess("/bin/sh", [path], environment: environment).wait(timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText == expected)
    }

    @Test("Swift: a worker loop and a pipe between a parent and its child")
    func swiftExamples() throws {
        let example = Executables.directory + "/dq-example"
        let worker = try ChildProcess(example, ["worker", directory.file("worker.db")]).wait(timeout: .seconds(120))
        #expect(worker.status == 0, "\(worker.stderrText)")
        #expect(worker.stdoutText == "squares: [1, 4, 9, 16, 25]\n")
        let pipe = try ChildProcess(example, ["pipe", directory.file("pipe.db")]).wait(timeout: .seconds(120))
        #expect(pipe.status == 0, "\(pipe.stderrText)")
        #expect(pipe.stdoutText == "parent got: pong 1\nparent got: pong 2\nparent got: pong 3\n")
    }
}
