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

extension FileDescriptor {
    /// `ioctl(TIOCGWINSZ)`: the terminal's width in columns; `nil` when the descriptor is
    /// not a terminal or the terminal reports no size (0, as a fresh pseudo-terminal does).
    public var terminalColumns: Int? {
        var size = winsize()
        guard ioctl(rawValue, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
