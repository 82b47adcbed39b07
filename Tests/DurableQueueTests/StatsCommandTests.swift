import Foundation
import Testing
@testable import DurableQueue
@testable import dq

/// `dq stats`: events listed, lines that fit the terminal whatever the names, and rates
/// over a sliding window.
@Suite("dq stats")
struct StatsCommandTests {
    let directory = TemporaryDirectory()
    var db: String { directory.store ?? directory.file("store.db") }

    @Test("events are listed, set or clear, in the table and in --json; a dropped one is gone", arguments: EngineUnderTest.allCases)
    func events(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        _ = try dq(["event", "set", "ready", "--db", db])
        _ = try dq(["event", "set", "paused", "--db", db])
        _ = try dq(["event", "clear", "paused", "--db", db])
        _ = try dq(["event", "set", "gone", "--db", db])
        _ = try dq(["event", "drop", "gone", "--db", db])
        let table = try dq(["stats", "--db", db])
        #expect(table.status == 0, "\(table.stderrText)")
        #expect(table.stdoutText.contains("event paused: clear\nevent ready: set\n"), "\(table.stdoutText)")
        #expect(!table.stdoutText.contains("gone"))
        let json = try dq(["stats", "--json", "--db", db])
        #expect(json.stdoutText.contains(#""events":{"paused":false,"ready":true}"#), "\(json.stdoutText)")
    }

    @Test("on a 40-column terminal a 200-byte name is shortened with … and no line is wider; the terminal's own size wins over $COLUMNS", arguments: EngineUnderTest.allCases)
    func narrowTerminal(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            print("skipped: needs script(1) from util-linux to give dq a terminal")
            return
        }
        let long = "q" + String(repeating: "x", count: 190) + "-end-7890"
        #expect(long.utf8.count == 200)
        _ = try dq(["put", long, "a", "--db", db])
        _ = try dq(["kv", "set", long, "k", "v", "--db", db])
        _ = try dq(["event", "set", long, "--db", db])
        let lines = try onTerminal(["stats"], columns: 40)
        #expect(lines.contains { $0.hasPrefix("qxxx") && $0.contains("…7890  1") },
                "shortened in the middle, keeping both ends: \(lines)")
        #expect(lines.contains { $0.hasPrefix("dict qxx") && $0.contains("…") && $0.hasSuffix(": 1 keys") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("event qxx") && $0.hasSuffix(": set") }, "\(lines)")
        for line in lines { #expect(line.count <= 40, "\(line.count) columns: \(line)") }
        #expect(lines.contains { $0.count > 30 }, "the width is used: \(lines)")

        let wider = try onTerminal(["stats"], columns: 40, setTerminalColumns: 60)
        for line in wider { #expect(line.count <= 60, "\(line.count) columns: \(line)") }
        #expect(wider.contains { $0.count > 40 }, "the terminal's size, not $COLUMNS: \(wider)")

        let piped = try dq(["stats", "--db", db], environment: ["COLUMNS": "40"])
        #expect(piped.stdoutText.contains("\n" + long + "  1"), "to a pipe, names are whole: \(piped.stdoutText)")
    }

    @Test("CJK, combining and emoji names: the column after the name starts at the same display column as after an ASCII name", arguments: EngineUnderTest.allCases)
    func wideNamesAlign(engine: EngineUnderTest) throws {
        _ = engine.store(for: directory)
        let names = ["ascii-queue", "日本語のキュー", "cafe\u{301}-orders", "🚀launch"]
        for name in names { _ = try dq(["put", name, "a", "--db", db]) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            print("skipped: needs script(1) from util-linux to give dq a terminal")
            return
        }
        let piped = try dq(["stats", "--db", db]).stdoutText.split(separator: "\n").map(String.init)
        let onTerminal = try onTerminal(["stats"], columns: 80)
        let narrow = try self.onTerminal(["stats"], columns: 30)
        for lines in [piped, onTerminal, narrow] {
            let rows = lines.filter { line in line.hasPrefix("QUEUE") || names.contains { line.hasPrefix($0.prefix(2)) } }
            #expect(rows.count == 5, "\(lines)")
            // Where READY's column starts: after the name and its padding.
            let starts = Set(rows.map { row in columns(String(row.prefix { $0 != " " })) + row.drop { $0 != " " }.prefix { $0 == " " }.count })
            #expect(starts.count == 1, "\(rows)")
        }
        #expect(narrow.contains { $0.contains("…") }, "shortened on 30 columns: \(narrow)")
    }

    /// Runs dq on a terminal (through `script`) with `$COLUMNS` set, and the terminal's
    /// own width too when `setTerminalColumns` is given (a fresh one reports 0); returns
    /// its lines without the terminal's carriage returns.
    func onTerminal(_ arguments: [String], columns: Int, setTerminalColumns: Int? = nil) throws -> [String] {
        let command = ([Executables.dq] + arguments + ["--db", db]).map { "'" + $0 + "'" }.joined(separator: " ")
        let resize = setTerminalColumns.map { "stty cols \($0) && " } ?? ""
        let result = try ChildProcess("/usr/bin/script", ["-q", "-e", "-c", resize + command, "/dev/null"],
                                      stdin: Data(), environment: ["COLUMNS": "\(columns)"]).wait(timeout: .seconds(20))
        #expect(result.status == 0, "\(result.stderrText)")
        return result.stdoutText.replacing("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Display columns as the test's names need them: combining marks 0, CJK and emoji 2
    /// (`…` 1).
    func columns(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { sum, scalar in
            sum + (scalar.properties.generalCategory == .nonspacingMark ? 0 : scalar.value >= 0x2E80 ? 2 : 1)
        }
    }
}

@Suite("Display width")
struct DisplayWidthTests {
    @Test("columns", arguments: [
        ("jobs", 4), ("", 0), ("日本語", 6), ("ｆｕｌｌ", 8), ("한국어", 6), ("cafe\u{301}", 4), ("e\u{301}\u{302}", 1),
        ("🚀", 2), ("a🚀b", 4), ("👍🏽", 2), ("👨‍👩‍👧", 2), ("🇫🇷", 2), ("❤️", 2), ("❤", 1), ("a\u{200D}b", 2),
        ("\u{1100}\u{1161}\u{11A8}", 2), ("½·é", 3), ("…", 1),
    ])
    func columns(text: String, expected: Int) {
        #expect(DisplayWidth.columns(text) == expected, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test("shortened in the middle to the width, never splitting a character")
    func truncated() {
        #expect(DisplayWidth.truncated("abcdefgh", to: 8) == "abcdefgh")
        #expect(DisplayWidth.truncated("abcdefgh", to: 5) == "ab…gh")
        #expect(DisplayWidth.truncated("abcdefgh", to: 6) == "abc…gh")
        #expect(DisplayWidth.truncated("abcdefgh", to: 1) == "…")
        #expect(DisplayWidth.truncated("日本語のキュー", to: 6) == "日…ー", "a wide character that does not fit leaves a column")
        #expect(DisplayWidth.truncated("日本語のキュー", to: 7) == "日…ュー", "the end takes what the start could not")
        for text in ["日本語のキュー名前", "cafe\u{301}cafe\u{301}cafe\u{301}", "👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧", "a日b本c語d"] {
            for width in 1...12 {
                let short = DisplayWidth.truncated(text, to: width)
                #expect(DisplayWidth.columns(short) <= width, "\(short) in \(width)")
                #expect(DisplayWidth.columns(short) >= width - 1 || short == text, "\(short) in \(width)")
                let kept = short.split(separator: "…", omittingEmptySubsequences: false)
                #expect(text.hasPrefix(kept[0]) && text.hasSuffix(kept.last!), "\(short) from \(text)")
            }
        }
        #expect(DisplayWidth.clipped("日本語のキュー", to: 6) == "日本…")
        #expect(DisplayWidth.clipped("abc", to: 3) == "abc")
        #expect(DisplayWidth.padded("日本", to: 6) == "日本  ")
    }
}

@Suite("Rate meter")
struct RateMeterTests {
    /// 100 messages a second put in bursts of 100 once a second (and as many taken out),
    /// viewed every `interval` for a minute: after the first window, every view shows about
    /// 100/s, not 0 between bursts and 100 × (1 s / interval) after one.
    @Test("a steady 100 msg/s shows as ~100/s whatever the redraw interval", arguments: [0.05, 0.2, 0.3, 0.7, 1.0, 2.5])
    func steadyRate(interval: Double) {
        var meter = RateMeter()
        let start = ContinuousClock.now
        var views = 0
        var shown: [Double] = []
        while Double(views) * interval < 60 {
            let seconds = Double(views) * interval
            let bursts = UInt64(seconds) + 1
            let traffic = QueueTraffic(added: 100 * bursts, removed: 100 * bursts)
            let rate = meter.record(["jobs": traffic], at: start + .seconds(seconds))["jobs"]
            if views == 0 { #expect(rate == nil, "no rate from one reading") }
            if seconds >= RateMeter.window.inSeconds, let rate {
                shown.append(rate.added)
                #expect(abs(rate.removed - rate.added) < 0.001)
            }
            views += 1
        }
        #expect(!shown.isEmpty)
        #expect(shown.allSatisfy { $0 > 90 && $0 < 112 }, "interval \(interval)s: \(shown.filter { $0 <= 90 || $0 >= 112 })")
    }

    @Test("rates fall back to 0 a window after the traffic stops, and a new queue has no rate until read twice")
    func stopsAndNewQueues() {
        var meter = RateMeter()
        let start = ContinuousClock.now
        for second in 0...20 {
            let count = UInt64(min(second, 10) * 50)
            let rates = meter.record(["a": QueueTraffic(added: count, removed: 0)], at: start + .seconds(second))
            if second == 10 { #expect(rates["a"]?.added == 50) }
            if second == 20 { #expect(rates["a"]?.added == 0) }
        }
        let rates = meter.record(["a": QueueTraffic(added: 500, removed: 0), "b": QueueTraffic(added: 7, removed: 0)],
                                 at: start + .seconds(21))
        #expect(rates["b"] == nil && rates["a"] != nil)
    }
}

private extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
