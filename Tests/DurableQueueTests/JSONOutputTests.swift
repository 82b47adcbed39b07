import Foundation
import Testing

/// Every `--json` output is read by `jq` (one object per line), and ids survive a round
/// trip through it.
@Suite("JSON output through jq")
struct JSONOutputTests {
    let directory = TemporaryDirectory()

    /// One shell command line for each command that has a `--json` option, run on the
    /// example store (`ExampleStore`).
    static let invocations: [String: String] = [
        "put": #"dq put jobs a b --json"#,
        "get": #"dq get jobs -n 2 --no-wait --json"#,
        "peek": #"dq peek jobs -n 3 --json"#,
        "queues": #"dq queues --json"#,
        "drop": #"dq drop photos --json"#,
        "delete": #"dq delete jobs "$(dq peek jobs --json | jq -r .id)" --json"#,
        "move": #"dq move jobs jobs-later -n 2 --json"#,
        "purge": #"dq purge photos --json"#,
        "dead": #"dq dead jobs --json"#,
        "retry-dead": #"dq retry-dead jobs --json"#,
        "kv items": #"dq kv items config --json"#,
        "list items": #"dq list items todo --json"#,
        "pipe recv": #"dq pipe recv chat --end second --no-wait --json"#,
        "stats": #"dq stats --json"#,
        "doctor": #"dq doctor --json"#,
        "bench": #"dq bench --quick --workload W1 --json"#,
        "torture": #"dq torture --seconds 1 --json"#,
        "show": #"dq show jobs "$(dq peek jobs --json | jq -r .id)" --json"#,
        "schedule list": #"dq schedule list --json"#,
        "publish": #"dq publish orders a b --json"#,
        "subscribe": #"dq subscribe orders --group billing -n 2 --no-wait --json"#,
        "read": #"dq read orders --json"#,
        "groups": #"dq groups orders --json"#,
        "trim": #"dq trim orders --max-len 2 --json"#,
        "streams": #"dq streams --json"#,
    ]

    @Test("every command with a --json option is covered here")
    func everyJSONCommandCovered() throws {
        for command in try HelpExampleTests.commands() where !command.isEmpty {
            let help = try dq(command.split(separator: " ").map(String.init) + ["--help"]).stdoutText
            let options = help.components(separatedBy: "OPTIONS:").last ?? ""
            if options.split(separator: "\n").contains(where: { $0.hasPrefix("  --json") }) {
                #expect(Self.invocations[command] != nil, "dq \(command) has --json but no invocation here")
            }
        }
    }

    @Test("jq reads every --json output, one object per line", arguments: JSONOutputTests.invocations.keys.sorted())
    func jqReads(command: String) throws {
        #expect(try ExampleStore.seed(in: directory).status == 0)
        let output = try ExampleStore.shell(Self.invocations[command]!, in: directory)
        #expect(output.status == 0, "dq \(command): \(output.stderrText)")
        let lines = output.stdoutText.split(separator: "\n")
        #expect(!lines.isEmpty)
        let read = try ChildProcess("/usr/bin/env", ["jq", "-c", "type"], stdin: output.stdout).wait()
        #expect(read.status == 0, "jq failed on dq \(command): \(read.stderrText)")
        #expect(read.stdoutText.split(separator: "\n") == Array(repeating: "\"object\"", count: lines.count),
                "dq \(command): \(read.stdoutText)")
    }

    @Test("ids come through jq exactly: put's ids are the ones peek, get and dead show")
    func idsRoundTrip() throws {
        #expect(try ExampleStore.seed(in: directory).status == 0)
        let script = """
            set -e
            dq purge jobs > /dev/null
            ids=$(dq put jobs one two three --json | jq -r .id)
            peeked=$(dq peek jobs -n 3 --json | jq -r .id)
            [ "$ids" = "$peeked" ] || { echo "peek: $peeked vs $ids" >&2; exit 1; }
            first=$(echo "$ids" | head -n 1)
            receipt=$(dq get jobs --lease 1m --json | jq -r .receipt)
            dq nack jobs "$receipt" --max-attempts 1
            dead=$(dq dead jobs --json | jq -r .id | tail -n 1)
            [ "$dead" = "$first" ] || { echo "dead: $dead vs $first" >&2; exit 1; }
            got=$(dq get jobs -n 2 --json | jq -r .id)
            [ "$got" = "$(echo "$ids" | tail -n 2)" ] || { echo "get: $got" >&2; exit 1; }
            echo "$first"
            """
        let result = try ExampleStore.shell(script, in: directory)
        #expect(result.status == 0, "\(result.stderrText)")
        // 19 digits, above 2^53: a number there would have been rounded by jq 1.6.
        let id = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 19 && (UInt64(id) ?? 0) > 1 << 53, "\(id)")
    }
}
