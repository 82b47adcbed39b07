@preconcurrency import Glibc

/// Making directories.
enum Directory {
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
    static func make(_ path: String, mode: mode_t, existingOK: Bool) throws(Errno) {
        if mkdir(path, mode) == 0 { return }
        let error = Errno.current
        guard existingOK, error == .fileExists, (try? FileStatus(path: path))?.type == .directory else { throw error }
    }
}
