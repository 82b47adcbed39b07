import ArgumentParser

extension Parse {
    /// A message id as `put --json` and `get --json` print it: a positive integer.
    static func messageID(_ text: String) throws -> Int64 {
        guard let id = Int64(text), id > 0 else {
            throw ValidationError("'\(text)' is not a message id (the \"id\" of dq put --json or dq get --json)")
        }
        return id
    }
}

/// The ids of `asked` missing from `found`, in the order asked, for an error line:
/// `"17, 18"`.
func missingIDs(_ asked: [Int64], found: [Int64]) -> String? {
    let found = Set(found)
    var listed = Set<Int64>()
    let missing = asked.filter { !found.contains($0) && listed.insert($0).inserted }
    return missing.isEmpty ? nil : missing.map(String.init).joined(separator: ", ")
}
