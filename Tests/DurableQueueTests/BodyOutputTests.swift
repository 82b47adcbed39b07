import Foundation
import Testing

/// How commands print stored bytes: one newline rule whatever the count, `-0`, `--raw`,
/// escaping on a terminal, and the hint `put` gives when it reads a terminal.
@Suite("Body output")
struct BodyOutputTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    @Test("every body is followed by a newline unless it ends with one, whatever -n says; -0 adds NUL; --raw adds nothing", arguments: EngineUnderTest.allCases)
    func framing(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        for arguments in [["get", "q", "--no-wait"], ["get", "q", "-n", "1", "--no-wait"], ["peek", "q"], ["peek", "q", "-n", "1"]] {
            _ = try dq(["purge", "q", "--db", db])
            _ = try dq(["put", "q", "one", "--db", db])
            #expect(try dq(arguments + ["--db", db]).stdoutText == "one\n", "\(arguments)")
        }
        _ = try dq(["purge", "q", "--db", db])
        _ = try dq(["put", "q", "a", "b\n", "--db", db])
        #expect(try dq(["peek", "q", "-n", "5", "--db", db]).stdoutText == "a\nb\n")
        #expect(try dq(["peek", "q", "-n", "5", "-0", "--db", db]).stdoutText == "a\0b\n\0")
        #expect(try dq(["peek", "q", "-n", "5", "--raw", "--db", db]).stdoutText == "ab\n")
        #expect(try dq(["get", "q", "--raw", "--db", db]).stdoutText == "a")
        #expect(try dq(["get", "q", "--db", db]).stdoutText == "b\n")
        let binary = Data([0xFF, 0x00, 0x1B, 0x0A, 0x41])
        _ = try dq(["put", "q", "--db", db], stdin: binary)
        #expect(try dq(["get", "q", "--raw", "--db", db]).stdout == binary, "--raw keeps every byte")
        _ = try dq(["kv", "set", "d", "k", "v", "--db", db])
        #expect(try dq(["kv", "get", "d", "k", "--db", db]).stdoutText == "v\n")
        #expect(try dq(["kv", "get", "d", "k", "--raw", "--db", db]).stdoutText == "v")
        _ = try dq(["list", "append", "l", "x", "--db", db])
        #expect(try dq(["list", "pop", "l", "--db", db]).stdoutText == "x\n")
        let bad = try dq(["get", "q", "--raw", "--json", "--db", db])
        #expect(bad.status == 64 && bad.stderrText.contains("--raw cannot be combined"))
        // The line names the option given with --raw, and pipe recv (which has no -0) says the same.
        #expect(try dq(["get", "q", "--raw", "-0", "--db", db]).stderrText == "dq: --raw cannot be combined with -0\n")
        #expect(try dq(["pipe", "recv", "p", "--end", "first", "--raw", "--json", "--db", db]).stderrText
            == "dq: --raw cannot be combined with --json\n")
    }

    @Test("to a terminal, control characters and bytes that are not UTF-8 are shown escaped, unless --raw", arguments: EngineUnderTest.allCases)
    func terminalEscapes(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            print("skipped: needs script(1) from util-linux to give dq a terminal")
            return
        }
        let body = Data("red ".utf8) + Data([0x1B]) + Data("[31m é ".utf8) + Data([0x01, 0xFF, 0xC2, 0x85])
        _ = try dq(["put", "q", "--db", db], stdin: body)
        _ = try dq(["put", "q", "--db", db], stdin: body)
        // The terminal turns each newline into CR LF.
        #expect(try onTerminal(["get", "q"]).stdout == Data(#"red \x1b[31m é \x01\xff\u{85}"#.utf8) + Data("\r\n".utf8))
        #expect(try onTerminal(["get", "q", "--raw"]).stdout == body)
        #expect(try dq(["put", "q", "--db", db], stdin: body).status == 0)
        #expect(try dq(["get", "q", "--db", db]).stdout == body + Data("\n".utf8), "not a terminal: bytes as stored")
    }

    @Test("put reading a terminal says so on stderr, and not when standard input is a pipe", arguments: EngineUnderTest.allCases)
    func putHint(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            print("skipped: needs script(1) from util-linux to give dq a terminal")
            return
        }
        // `script` copies its standard input to the terminal: a line, then Ctrl-D to end it.
        let typed = try ChildProcess("/usr/bin/script", ["-q", "-e", "-c", shell(["put", "q"]), "/dev/null"],
                                     stdin: Data("typed\n\u{4}".utf8))
        let result = typed.wait(timeout: .seconds(20))
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("dq put: reading the message from the terminal; end with Ctrl-D"))
        #expect(try dq(["get", "q", "--no-wait", "--db", db]).stdoutText == "typed\n")
        let piped = try dq(["put", "q", "--db", db], stdin: Data("piped".utf8))
        #expect(piped.status == 0 && piped.stderr.isEmpty)
    }

    /// Runs dq with a terminal as its standard input and output (through `script`).
    func onTerminal(_ arguments: [String]) throws -> ProcessResult {
        try ChildProcess("/usr/bin/script", ["-q", "-e", "-c", shell(arguments), "/dev/null"], stdin: Data()).wait(timeout: .seconds(20))
    }

    func shell(_ arguments: [String]) -> String {
        ([Executables.dq] + arguments + ["--db", db]).map { "'" + $0 + "'" }.joined(separator: " ")
    }
}
