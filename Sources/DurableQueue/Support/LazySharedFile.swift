import DQSystem
import Synchronization

/// One of the shared files in `PATH-wake/`, made into `Mapped` (which maps it) on first
/// use, creating the directory if needed. `value` is `nil` if that failed; it is not
/// tried again.
final class LazySharedFile<Mapped: Sendable>: Sendable {
    private let directory: String
    private let path: String
    private let make: @Sendable (String) -> Mapped?
    private let state = Mutex<Mapped??>(nil)

    init(directory: String, name: String, make: @escaping @Sendable (String) -> Mapped?) {
        self.directory = directory
        path = directory + "/" + name
        self.make = make
    }

    var value: Mapped? {
        state.withLock { cached in
            if let cached { return cached }
            let mapped = (try? Directory.make(directory, mode: 0o700, existingOK: true)) != nil ? make(path) : nil
            cached = .some(mapped)
            return mapped
        }
    }
}
