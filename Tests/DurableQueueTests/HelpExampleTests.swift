import Foundation
import Testing

/// Every command's `--help` ends with examples, and every example runs as shown: each
/// line, in order, in a shell, on a store seeded with what the examples name
/// (`HelpExamples`), exits 0.
@Suite("Help examples")
struct HelpExampleTests {
    let directory = TemporaryDirectory()

    /// Every command shown by `--help`, as its words after `dq` ("" for `dq` itself).
    static func commands() throws -> [String] {
        var found = [""]
        for group in [""] + groups {
            let words = group.isEmpty ? ["--help"] : [group, "--help"]
            for name in subcommands(in: try dq(words).stdoutText) {
                found.append(group.isEmpty ? name : group + " " + name)
            }
        }
        return found
    }

    static let groups = ["kv", "list", "counter", "event", "pipe"]

    /// The names listed under SUBCOMMANDS in a help text.
    static func subcommands(in help: String) -> [String] {
        guard let section = help.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first else { return [] }
        return section.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), !line.contains("See 'dq help") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
    }

    /// The lines under "Examples:" in a help text.
    static func examples(in help: String) -> [String] {
        guard let block = help.components(separatedBy: "Examples:\n").dropFirst().first else { return [] }
        return block.split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { $0.hasPrefix("  ") }
            .map { String($0.dropFirst(2)) }
    }

    @Test("every command's help has examples, each a line that fits the help's width")
    func everyCommandHasExamples() throws {
        let commands = try Self.commands()
        #expect(commands.count > 40, "\(commands)")
        for command in commands {
            let help = try dq(command.split(separator: " ").map(String.init) + ["--help"]).stdoutText
            let examples = Self.examples(in: help)
            #expect(!examples.isEmpty, "dq \(command) --help has no examples")
            for line in examples { #expect(line.hasPrefix("dq ") || line.contains(" dq ") || line.contains("(dq "), "\(command): \(line)") }
        }
    }

    @Test("every example exits 0 when run as shown", arguments: try HelpExampleTests.commands())
    func examplesRun(command: String) throws {
        let help = try dq(command.split(separator: " ").map(String.init) + ["--help"]).stdoutText
        let examples = Self.examples(in: help)
        try seed()
        for line in examples {
            let result = try shell(line)
            #expect(result.status == 0, "dq \(command) example `\(line)` exited \(result.status): \(result.stderrText)")
        }
    }

    /// A store holding what the examples name, and the files they read.
    func seed() throws {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF])
        #expect(FileManager.default.createFile(atPath: directory.file("cat.png"), contents: png))
        for (name, script) in [("resize.sh", "#!/bin/sh\ncat > /dev/null\n"), ("migrate.sh", "#!/bin/sh\necho migrating\n")] {
            #expect(FileManager.default.createFile(atPath: directory.file(name), contents: Data(script.utf8),
                                                   attributes: [.posixPermissions: 0o755]))
        }
        let setUp = """
            set -e
            dq put jobs broken
            dq nack jobs "$(dq get jobs --lease 1m --json | jq -r .receipt)" --max-attempts 1
            dq put jobs 'resize cat.png' a b c d e
            dq put photos < cat.png
            dq kv set config mode fast; dq kv set config leader worker-1; dq kv set config settings '{}'
            dq list append todo 'write docs' 'ship it'
            dq counter add done 100 > /dev/null
            dq event set deploy-done
            dq pipe send chat --end first hello
            """
        let result = try shell(setUp)
        #expect(result.status == 0, "seeding failed: \(result.stderrText)")
    }

    /// Runs `script` with bash in the test's folder, with `dq` on PATH and its store there.
    func shell(_ script: String) throws -> ProcessResult {
        let environment = ["DQ_DB": directory.file("store.db"), "HOSTNAME": "test-host",
                           "PATH": Executables.directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        return try ChildProcess("/bin/bash", ["-c", "cd '\(directory.path)' && " + script], environment: environment)
            .wait(timeout: .seconds(120))
    }
}
