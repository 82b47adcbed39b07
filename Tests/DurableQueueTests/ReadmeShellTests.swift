import Foundation
import Testing

/// The README's shell examples run as shown, line after line in one shell, on a store
/// holding what they name (`ExampleStore`, plus a few more names). A line ends with
/// status 0 or 1 (1: nothing there, as for `get --timeout`), or the status its comment
/// ends with in parentheses, as `(73)`; a line whose comment says it runs "until
/// Ctrl-C" must still be running a second later (then it is stopped with SIGTERM).
/// Blocks that set up a machine (`apt-get`,
/// `swift`, `install`, completion scripts) are left to CI.
@Suite("README shell examples")
struct ReadmeShellTests {
    let directory = TemporaryDirectory()

    static let readme: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }()

    /// The lines of the README's ```sh blocks that use dq, block by block.
    static func blocks() -> [[String]] {
        Self.readme.matches(of: /```sh\n((?s:.*?))```/).compactMap { match in
            let lines = match.output.1.split(separator: "\n").map(String.init)
            let setUp = lines.contains { $0.contains("apt-get") || $0.hasPrefix("swift ") || $0.hasPrefix("install ")
                || $0.contains("--generate-completion-script") }
            return setUp ? nil : lines
        }
    }

    @Test("the README has shell examples to run")
    func found() {
        #expect(Self.blocks().joined().count > 40)
    }

    @Test("every line of the README's shell examples does what its comment says")
    func run() throws {
        #expect(try ExampleStore.seed(in: directory).status == 0)
        for (name, script) in [("photo.jpg", "jpeg"), ("backup.sh", "#!/bin/sh\necho backed up\n")] {
            _ = FileManager.default.createFile(atPath: directory.file(name), contents: Data(script.utf8),
                                               attributes: [.posixPermissions: 0o755])
        }
        let more = try ExampleStore.shell("""
            set -e
            dq event set stop; dq kv set config ready yes; dq counter add jobs-done > /dev/null
            dq kv set session user alice
            dq put jobs-failed x
            dq nack jobs-failed "$(dq get jobs-failed --lease 1m --json | jq -r .receipt)" --max-attempts 1
            """, in: directory)
        #expect(more.status == 0, "\(more.stderrText)")
        // Before each line the queue gets a message (an earlier line may have drained it,
        // and a get without --timeout would wait for ever), and a dead letter before a
        // line about dead letters.
        var script = """
            more() { dq put jobs more > /dev/null; }
            bury() { more; dq nack jobs "$(dq get jobs --lease 1m --json | jq -r .receipt)" --max-attempts 1; }

            """
        for (number, line) in Self.blocks().joined().enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            script += line.contains("dead") ? "bury\n" : "more\n"
            let comment = line.firstRange(of: "  #").map { String(line[$0.upperBound...]) } ?? ""
            let quoted = "'" + line.replacing("'", with: #"'\''"#) + "'"
            if comment.contains("until Ctrl-C") {
                script += "timeout -s TERM 1 bash -c \(quoted) > /dev/null; status=$?; expected=124\n"
            } else {
                let expected = comment.firstMatch(of: /\((\d+)\)\s*$/).map { String($0.output.1) }
                script += "\(line)\nstatus=$?; expected=\"\(expected ?? "0 1")\"\n"
            }
            script += #"case " $expected " in *" $status "*) ;; *) echo "line \#(number): status $status, expected $expected: "\#(quoted) >&2; exit 1;; esac"# + "\n"
        }
        let result = try ExampleStore.shell(script, in: directory)
        #expect(result.status == 0, "\(result.stderrText)")
    }
}
