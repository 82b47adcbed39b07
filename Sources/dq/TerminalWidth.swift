import DQSystem

/// How many columns a line written to standard output may take.
enum TerminalWidth {
    /// When standard output is a terminal: its width (`TIOCGWINSZ`, asked again at each
    /// call so a live view follows a resized window), else `$COLUMNS` when it is a
    /// positive number, else 80. `nil` when it is not a terminal: lines are not cut for
    /// scripts reading a pipe or a file.
    static func standardOutput() -> Int? {
        guard FileDescriptor.standardOutput.isTerminal else { return nil }
        if let columns = FileDescriptor.standardOutput.terminalColumns { return columns }
        if let columns = Environment.value("COLUMNS").flatMap({ Int($0) }), columns > 0 { return columns }
        return 80
    }
}
