@preconcurrency import Glibc

extension FileDescriptor {
    /// Standard input (0).
    public static let standardInput = FileDescriptor(rawValue: STDIN_FILENO)
    /// Standard output (1).
    public static let standardOutput = FileDescriptor(rawValue: STDOUT_FILENO)
    /// Standard error (2).
    public static let standardError = FileDescriptor(rawValue: STDERR_FILENO)

    /// `isatty(3)`: whether the descriptor is a terminal.
    public var isTerminal: Bool {
        isatty(rawValue) == 1
    }
}
