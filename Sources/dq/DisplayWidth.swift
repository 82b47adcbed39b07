/// How many terminal columns text takes, and text shortened to a number of columns: East
/// Asian wide and fullwidth characters (CJK, kana, Hangul, most emoji) take 2, combining
/// marks and format characters (zero-width joiner, variation selectors) 0, others 1.
///
/// Width is counted per grapheme cluster (a `Character`), the way terminals draw them: a
/// cluster that starts with a wide character (an emoji with a skin tone, a family joined
/// by zero-width joiners, a Hangul syllable spelt in jamo) or that asks for emoji
/// presentation (U+FE0F) takes 2; any other cluster, the sum of its scalars' widths.
///
/// For example:
///
/// ```swift
/// DisplayWidth.columns("日本")                        // 4
/// DisplayWidth.truncated("abcdefgh", to: 5)          // "ab…gh"
/// ```
enum DisplayWidth {
    /// The ellipsis that marks where text was cut (1 column).
    static let ellipsis: Character = "…"

    static func columns(_ text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + columns($1) }
    }

    static func columns(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if columns(first) == 2 || scalars.contains("\u{FE0F}") || isRegionalIndicator(first) { return 2 }
        return scalars.reduce(0) { $0 + columns($1) }
    }

    static func columns(_ scalar: Unicode.Scalar) -> Int {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        return isWide(scalar.value) ? 2 : 1
    }

    /// `text` if it fits in `width` columns; else its start and end around `…`, as many
    /// whole characters of each as fit (the end keeps what often tells names apart: a
    /// pipe's `:in`/`:out`, a number).
    static func truncated(_ text: String, to width: Int) -> String {
        guard columns(text) > width else { return text }
        guard width > 0 else { return "" }
        let characters = Array(text)
        var room = width - 1
        var head = 0, tail = characters.count
        // The start gets half the room (the odd column too), the end the rest, then the
        // start what the end left (a wide character may not fit in the last column).
        var headRoom = (room + 1) / 2
        while head < tail, columns(characters[head]) <= headRoom {
            headRoom -= columns(characters[head]); room -= columns(characters[head]); head += 1
        }
        while tail > head, columns(characters[tail - 1]) <= room { room -= columns(characters[tail - 1]); tail -= 1 }
        while head < tail, columns(characters[head]) <= room { room -= columns(characters[head]); head += 1 }
        return String(characters[..<head]) + String(ellipsis) + String(characters[tail...])
    }

    /// `text` if it fits in `width` columns; else as much of its start as fits before `…`.
    static func clipped(_ text: String, to width: Int) -> String {
        guard columns(text) > width else { return text }
        guard width > 0 else { return "" }
        var kept = "", room = width - 1
        for character in text {
            let cost = columns(character)
            guard cost <= room else { break }
            kept.append(character)
            room -= cost
        }
        return kept + String(ellipsis)
    }

    /// `text` followed by spaces up to `width` columns (unchanged if wider).
    static func padded(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - columns(text)))
    }

    /// `rows` as lines of columns two spaces apart, each as wide as its widest cell by
    /// terminal columns; the `rightAligned` columns (numbers) padded on the left; the last
    /// column not padded.
    static func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? columns($0[column]) : 0 }.max() ?? 0 }
        var text = ""
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: max(0, widths[column] - columns(cell)))
                return rightAligned.contains(column) ? pad + cell : column == row.count - 1 ? cell : cell + pad
            }
            text += cells.joined(separator: "  ") + "\n"
        }
        return text
    }

    private static func isRegionalIndicator(_ scalar: Unicode.Scalar) -> Bool {
        (0x1F1E6...0x1F1FF).contains(scalar.value)
    }

    private static func isWide(_ value: UInt32) -> Bool {
        guard value >= 0x1100 else { return false }
        var low = 0, high = wide.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if value < wide[middle].lowerBound { high = middle - 1 }
            else if value > wide[middle].upperBound { low = middle + 1 }
            else { return true }
        }
        return false
    }

    /// The code points whose East_Asian_Width is W (wide) or F (fullwidth), from Unicode
    /// 14.0's EastAsianWidth.txt (as Python's `unicodedata.east_asian_width` reports it),
    /// adjacent ranges merged across unassigned code points; planes 2 and 3 whole, as the
    /// file's defaults make them.
    private static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
        0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
        0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
        0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
        0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55, 0x2E80...0x303E,
        0x3041...0x3247, 0x3250...0x4DBF, 0x4E00...0xA4C6, 0xA960...0xA97C, 0xAC00...0xD7A3, 0xF900...0xFAD9,
        0xFE10...0xFE19, 0xFE30...0xFE6B, 0xFF01...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x1B2FB,
        0x1F004...0x1F004, 0x1F0CF...0x1F0CF, 0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F320,
        0x1F32D...0x1F335, 0x1F337...0x1F37C, 0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3,
        0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4, 0x1F3F8...0x1F43E, 0x1F440...0x1F440, 0x1F442...0x1F4FC,
        0x1F4FF...0x1F53D, 0x1F54B...0x1F54E, 0x1F550...0x1F567, 0x1F57A...0x1F57A, 0x1F595...0x1F596,
        0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F, 0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC, 0x1F6D0...0x1F6D2,
        0x1F6D5...0x1F6DF, 0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7F0, 0x1F90C...0x1F93A,
        0x1F93C...0x1F945, 0x1F947...0x1F9FF, 0x1FA70...0x1FAF6, 0x20000...0x3FFFD,
    ]
}
