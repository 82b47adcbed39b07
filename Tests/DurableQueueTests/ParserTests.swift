import Testing
@testable import DurableQueue

@Suite("Duration text")
struct DurationTextTests {
    @Test("units", arguments: [
        ("250ms", Duration.milliseconds(250)), ("5s", .seconds(5)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("1.5s", .milliseconds(1500)), ("7", .seconds(7)), ("0", .zero), ("100us", .microseconds(100)), ("0.5ms", .microseconds(500)),
        ("1d", .seconds(86_400)), ("1h30m", .seconds(5_400)), ("2m30s", .seconds(150)), ("1d12h", .seconds(129_600)),
        ("1s500ms", .milliseconds(1500)), ("1.5h", .seconds(5_400)),
    ])
    func parses(text: String, expected: Duration) throws {
        #expect(try DurationText.parse(text) == expected)
    }

    @Test("rejects", arguments: ["", "s", "5x", "-1s", "1..2s", ".", "five", "1e3s", " 5s", "5 s", "99999999999999h",
                                   "1h30", "h30m", "1h-30m", "1h 30m", "30mm", "1x30m", "999999999d"])
    func rejects(text: String) {
        let error = #expect(throws: DQError.self) { try DurationText.parse(text) }
        #expect(error?.kind == .invalidArgument)
    }

    @Test("format reads back", arguments: ["850ms", "3.2s", "4m", "2.5h", "12us"])
    func formats(text: String) throws {
        #expect(DurationText.format(try DurationText.parse(text)) == text)
    }
}
