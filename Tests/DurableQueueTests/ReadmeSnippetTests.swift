import DurableQueue
import Foundation
import Logging
import Testing

/// What README's Swift snippets take as given: the names they use without declaring.
/// `ReadmeSnippets.swift` (made from README.md by the test below) compiles each snippet
/// as the body of an async function in an extension of this type.
enum ReadmeContext {
    struct Job: Codable { var name: String; var size: Int }
    static let store: Store = try! Store(path: "/nonexistent/readme.db")
    static let jobs: Queue = try! store.queue("jobs")
    static let logger = Logger(label: "readme")
    static func resize(_ job: Job) async throws {}
    static func apply(_ value: Data?) {}
}

/// README's job handler; top-level, as types declared in a snippet use it.
func handle(_ message: Message) async throws {}

@Suite("README")
struct ReadmeSnippetTests {
    /// README.md's ```swift blocks, as the Swift file that compiles them.
    static func snippetsFile(readme: String) -> String {
        var blocks: [[Substring]] = []
        var current: [Substring]?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```swift" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!)
                current = nil
            } else {
                current?.append(line)
            }
        }
        var file = """
            // Made from README.md by ReadmeSnippetTests; do not edit. After changing a Swift
            // snippet in README.md, run `DQ_UPDATE_SNIPPETS=1 swift test --filter ReadmeSnippetTests`.
            import DurableQueue
            import Foundation
            import Logging
            import ServiceLifecycle

            extension ReadmeContext {

            """
        for (number, block) in blocks.enumerated() {
            file += "    static func snippet\(number + 1)() async throws {\n"
            for line in block where !line.hasPrefix("import ") {
                file += line.isEmpty ? "\n" : "        \(line)\n"
            }
            file += "    }\n\n"
        }
        file += "}\n"
        return file
    }

    @Test("every Swift snippet in README.md compiles as shown, in async code (ReadmeSnippets.swift is made from it)")
    func snippetsCompile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let generated = root.appendingPathComponent("Tests/DurableQueueTests/ReadmeSnippets.swift")
        let expected = Self.snippetsFile(readme: readme)
        if ProcessInfo.processInfo.environment["DQ_UPDATE_SNIPPETS"] == "1" {
            try expected.write(to: generated, atomically: true, encoding: .utf8)
        }
        let compiled = try String(contentsOf: generated, encoding: .utf8)
        #expect(compiled == expected, "README.md's Swift snippets changed: run DQ_UPDATE_SNIPPETS=1 swift test --filter ReadmeSnippetTests")
        #expect(expected.contains("snippet3()"))
    }
}
