/// Finding the file `execvp(3)` would run for a command, without running it: a program
/// that starts commands can refuse one that cannot run before it does anything else.
///
/// For example:
///
/// ```swift
/// let path = try ExecutableSearch.find("sh")   // "/usr/bin/sh"
/// ```
public enum ExecutableSearch {
    /// The directories searched when `PATH` is not set, as glibc's `execvp` searches.
    public static let defaultPath = "/bin:/usr/bin"

    /// The file `execvp` would execute for `name`: `name` itself if it holds a slash,
    /// else the first executable regular file called `name` in the directories of
    /// `path` (an empty entry is the current directory). As `execvp` does, a match that
    /// cannot be executed is passed over for a later one.
    ///
    /// - Throws: `.noSuchFileOrDirectory` when there is no file called `name`;
    ///   `.isADirectory` when `name` (with a slash) is a directory; `.permissionDenied`
    ///   when every match is a directory or a file this process may not execute.
    public static func find(_ name: String, path: String? = Environment.value("PATH")) throws(Errno) -> String {
        if name.isEmpty { throw .noSuchFileOrDirectory }
        if name.contains("/") {
            try check(name)
            return name
        }
        var refused = false
        for directory in (path ?? defaultPath).split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = directory.isEmpty ? name : "\(directory)/\(name)"
            do throws(Errno) {
                try check(candidate)
                return candidate
            } catch where error == .noSuchFileOrDirectory || error == .notDirectory {
                continue
            } catch {
                refused = true
            }
        }
        throw refused ? .permissionDenied : .noSuchFileOrDirectory
    }

    /// Throws what `execve` would fail with for the file at `path`, roughly: the `stat`
    /// error if there is none, `.isADirectory` for a directory, `.permissionDenied` for a
    /// file that is not regular or that this process may not execute.
    private static func check(_ path: String) throws(Errno) {
        let status = try FileStatus(path: path)
        if status.type == .directory { throw .isADirectory }
        if status.type != .regular || !FileSystem.isExecutable(path) { throw .permissionDenied }
    }
}
