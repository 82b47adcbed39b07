import FoundationEssentials

extension DQError {
    /// A stored value that `decoder` could not decode as `T`: `.invalidData`, saying
    /// "`what` is not a `T`" and why.
    ///
    /// For example:
    ///
    /// ```swift
    /// catch { throw DQError(decoding: error, "message 7 in queue jobs", as: Job.self) }
    /// // message 7 in queue jobs is not a Job: file: expected to decode String but found number instead
    /// ```
    init<T>(decoding error: any Error, _ what: String, as type: T.Type) {
        self.init(.invalidData, "\(what) is not a \(String(describing: T.self)): \(Self.reason(error))")
    }

    /// A value the caller gave that could not be encoded as JSON: `.invalidArgument`,
    /// saying "cannot encode `what` as JSON" and why.
    init(encoding error: any Error, _ what: String) {
        self.init(.invalidArgument, "cannot encode \(what) as JSON: \(Self.reason(error))")
    }

    /// Why a decoder or encoder failed, in one line: where in the value (`jobs[2].file`)
    /// and what was wrong there.
    private static func reason(_ error: any Error) -> String {
        let context: (path: [any CodingKey], text: String)
        switch error {
        case DecodingError.keyNotFound(let key, let found):
            context = (found.codingPath, "no value for \"\(key.stringValue)\"")
        case DecodingError.typeMismatch(_, let found), DecodingError.valueNotFound(_, let found),
             DecodingError.dataCorrupted(let found):
            context = (found.codingPath, found.debugDescription)
        case EncodingError.invalidValue(_, let found):
            context = (found.codingPath, found.debugDescription)
        default:
            context = ([], "\(error)")
        }
        var text = context.text.split(separator: "\n").first.map(String.init) ?? ""
        if text.hasSuffix(".") { text.removeLast() }
        if let first = text.first { text = first.lowercased() + text.dropFirst() }
        let path = context.path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? text : "\(path.hasPrefix(".") ? String(path.dropFirst()) : path): \(text)"
    }
}
