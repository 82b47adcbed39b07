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

    static let groups = ["kv", "list", "counter", "event", "pipe", "schedule"]

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

    /// Commands that serve until stopped: their examples would never exit (WebTests
    /// runs `dq web`).
    static let serving: Set<String> = ["web"]

    @Test("every example exits 0 when run as shown", arguments: try HelpExampleTests.commands().filter { !serving.contains($0) })
    func examplesRun(command: String) throws {
        let help = try dq(command.split(separator: " ").map(String.init) + ["--help"]).stdoutText
        let examples = Self.examples(in: help)
        let seeding = try ExampleStore.seed(in: directory)
        #expect(seeding.status == 0, "seeding failed: \(seeding.stderrText)")
        for line in examples {
            let result = try shell(line)
            #expect(result.status == 0, "dq \(command) example `\(line)` exited \(result.status): \(result.stderrText)")
        }
    }

    func shell(_ script: String) throws -> ProcessResult { try ExampleStore.shell(script, in: directory) }
}
