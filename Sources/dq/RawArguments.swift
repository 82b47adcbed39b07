import FoundationEssentials

/// The command line's arguments as the kernel passed them. `CommandLine.arguments`
/// repairs bytes that are not UTF-8 into U+FFFD, so two different names would read as
/// one and a binary BODY would change; these give names a check and values their
/// original bytes back.
enum RawArguments {
    private static let all: [[UInt8]] = (0..<Int(CommandLine.argc)).map { index in
        guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
        var count = 0
        while pointer[count] != 0 { count += 1 }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Whether the argument that reads as `text` was not valid UTF-8.
    static func wasRepaired(_ text: String) -> Bool {
        text.contains("\u{FFFD}") && all.contains { String(validating: $0, as: UTF8.self) == nil && String(decoding: $0, as: UTF8.self) == text }
    }

    /// The original bytes of each of `texts`, arguments given in this order: those that
    /// were valid UTF-8 as they are, the others as they were before the repair.
    static func bytes(of texts: [String]) -> [Data] {
        var next = 0
        return texts.map { text in
            guard text.contains("\u{FFFD}") else { return utf8(text) }
            for index in next..<all.count where String(decoding: all[index], as: UTF8.self) == text {
                next = index + 1
                return all[index].withUnsafeBufferPointer { Data(buffer: $0) }
            }
            return utf8(text)
        }
    }

    /// `text`'s UTF-8, copied from its storage. (`Data(text.utf8)` first asks the Swift
    /// runtime whether a UTF-8 view is `ContiguousBytes`: a search of every protocol
    /// conformance in the binary, 0.2-0.3 ms of each `dq put`.)
    private static func utf8(_ text: String) -> Data {
        var text = text
        return text.withUTF8 { Data(buffer: $0) }
    }
}
