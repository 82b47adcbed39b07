/// The file locks the kernel holds and waits for on this machine, read from
/// `/proc/locks`: who holds a lock and who waits for it, without touching the lock.
///
/// For example:
///
/// ```swift
/// let holders = KernelFileLocks.read().filter { $0.kind == "FLOCK" && !$0.waiting }
/// ```
public enum KernelFileLocks {
    /// One line of `/proc/locks`.
    public struct Entry: Sendable, Hashable {
        /// `FLOCK`, `POSIX`, `OFDLCK`, …
        public let kind: String
        /// Whether it is (or asks for) an exclusive lock (`WRITE`).
        public let exclusive: Bool
        /// The process that took it (or waits for it); -1 for open-file-description locks.
        public let pid: Int32
        /// The locked file's device and inode.
        public let major: UInt32
        public let minor: UInt32
        public let inode: UInt64
        /// A process waiting for the lock (a `->` line), not holding it.
        public let waiting: Bool
    }

    /// Every entry of `/proc/locks`; none where it cannot be read.
    public static func read() -> [Entry] {
        guard let text = try? FileDescriptor.readWholeFile("/proc/locks") else { return [] }
        return parse(String(decoding: text, as: UTF8.self))
    }

    /// The entries of `/proc/locks`-formatted `text`, e.g.
    /// `2: FLOCK  ADVISORY  WRITE 10312 fe:00:16226334 0 EOF` and, for a waiter,
    /// `2: -> FLOCK  ADVISORY  WRITE 10400 fe:00:16226334 0 EOF`.
    public static func parse(_ text: String) -> [Entry] {
        text.split(separator: "\n").compactMap { line in
            var fields = line.split(separator: " ").dropFirst()
            let waiting = fields.first == "->"
            if waiting { fields = fields.dropFirst() }
            let words = Array(fields)
            guard words.count >= 5, let pid = Int32(words[3]) else { return nil }
            let place = words[4].split(separator: ":")
            guard place.count == 3, let major = UInt32(place[0], radix: 16), let minor = UInt32(place[1], radix: 16),
                  let inode = UInt64(place[2]) else { return nil }
            return Entry(kind: String(words[0]), exclusive: words[2] == "WRITE", pid: pid,
                         major: major, minor: minor, inode: inode, waiting: waiting)
        }
    }
}
