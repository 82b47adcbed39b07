/// Validation of user-chosen names (queues, dicts, dedup keys): they are data, stored
/// and bound as SQL parameters, never pasted into SQL or paths.
///
/// For example, checking a name before opening anything:
///
/// ```swift
/// try Names.validate(userInput, what: "queue name")
/// ```
public enum Names {
    /// The longest name, in UTF-8 bytes.
    public static let maxBytes = 200

    /// Accepts 1–200 bytes of UTF-8 with no control characters (U+0000–U+001F,
    /// U+007F–U+009F).
    ///
    /// `Store.queue(_:)` and the other accessors call this; it is public so a caller
    /// can check a name early, with the same message.
    ///
    /// For example:
    ///
    /// ```swift
    /// try Names.validate("jobs", what: "queue name")
    /// ```
    ///
    /// - Throws: `DQError.Kind.invalidArgument`, naming `what` was wrong.
    public static func validate(_ name: String, what: String) throws(DQError) {
        let bytes = name.utf8.count
        if bytes == 0 {
            throw DQError(.invalidArgument, "\(what) is empty")
        }
        if bytes > maxBytes {
            throw DQError(.invalidArgument, "\(what) is \(bytes) bytes long; the limit is \(maxBytes)")
        }
        if let bad = name.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = "U+" + String(bad.value, radix: 16, uppercase: true).leftPadded(to: 4)
            throw DQError(.invalidArgument, "\(what) contains the control character \(code)")
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
