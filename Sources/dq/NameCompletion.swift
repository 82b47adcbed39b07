import ArgumentParser
import DurableQueue
import FoundationEssentials

/// Shell completion of the names a store holds (`dq get <TAB>` offers its queues): the
/// store is the one the command line names (`--db`), else `$DQ_DB`, else the default,
/// opened without creating or changing anything. A store that cannot be read offers
/// nothing.
enum NameCompletion {
    /// The names of `kind` in the store `words` name that start with `prefix`, sorted.
    static func names<Object: StoreObject>(of kind: Object.Type, words: [String], prefix: String) -> [String] {
        let choice = StoreChoice(db: database(in: words)).reading
        guard let stats = try? choice.open().stats() else { return [] }
        return kind.names(in: stats).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The value of `--db PATH` or `--db=PATH` among `words`, if given.
    static func database(in words: [String]) -> String? {
        for (index, word) in words.enumerated() {
            if word == "--db", index + 1 < words.count { return words[index + 1] }
            if word.hasPrefix("--db=") { return String(word.dropFirst(5)) }
        }
        return nil
    }
}

extension StoreObject {
    /// How a shell completes this kind's name argument (see `NameCompletion`).
    static var nameCompletion: CompletionKind {
        .custom { words, _, prefix in NameCompletion.names(of: Self.self, words: words, prefix: prefix) }
    }
}
