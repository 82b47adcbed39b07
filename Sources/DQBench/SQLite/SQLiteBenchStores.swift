import DQSystem
import DurableQueue
import FoundationEssentials

/// `dq bench`'s stores as SQLite files: one directory per run inside a temporary
/// directory, which the bench removes at the end.
final class SQLiteBenchStores: BenchStores {
    let root: String

    /// Makes the temporary directory inside `directory`, making `directory` first if it
    /// is missing (as a store's path is).
    init(directory: String) throws {
        do throws(DQError) {
            try StoreLocation.makeDirectories(directory)
        } catch {
            throw BenchError(description: error.message)
        }
        do throws(Errno) {
            root = try Directory.makeTemporary(prefix: directory + "/dq-bench-")
        } catch {
            throw BenchError(description: "cannot make a directory in \(directory): \(error.description)")
        }
    }

    func fresh(_ name: String) -> String {
        let directory = root + "/" + name
        try? FileManager.default.removeItem(atPath: directory)
        try? Directory.make(directory, mode: 0o700, existingOK: true)
        return directory + "/store.db"
    }

    var description: String { "\(root) (\(StoreLocation.filesystemType(of: root) ?? "unknown filesystem"))" }

    func durability(_ sync: String) -> String { "synchronous=\(sync == "full" ? "FULL" : "NORMAL")" }

    func removeAll() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
