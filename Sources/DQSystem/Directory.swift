@preconcurrency import Glibc

/// Making directories.
public enum Directory {
    /// `mkdir(2)`: makes the directory `path` with `mode` (less the umask). With
    /// `existingOK`, a directory already there (or a symbolic link to one) is success.
    ///
    /// For example:
    ///
    /// ```swift
    /// try Directory.make(storePath + "-wake", mode: 0o700, existingOK: true)
    /// ```
    ///
    /// - Throws: `Errno`; `.fileExists` if something is at `path` that is not a
    ///   directory (or, without `existingOK`, is one).
    public static func make(_ path: String, mode: mode_t, existingOK: Bool) throws(Errno) {
        if mkdir(path, mode) == 0 { return }
        let error = Errno.current
        guard existingOK, error == .fileExists, (try? FileStatus(path: path))?.type == .directory else { throw error }
    }

    /// `mkdtemp(3)`: makes a new directory (mode 0700) named `prefix` plus six random
    /// characters.
    ///
    /// - Returns: its path.
    public static func makeTemporary(prefix: String) throws(Errno) -> String {
        var template = Array((prefix + "XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw Errno.current }
        return String(cString: made)
    }

    /// The names in the directory `path` (not `.` and `..`), in no particular order.
    ///
    /// For example:
    ///
    /// ```swift
    /// for name in try Directory.entries(storePath + "-locks") { ... }
    /// ```
    ///
    /// - Throws: `Errno`, for example `.noSuchFileOrDirectory`.
    public static func entries(_ path: String) throws(Errno) -> [String] {
        guard let directory = opendir(path) else { throw Errno.current }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
