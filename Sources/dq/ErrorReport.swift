import ArgumentParser
import DQSystem
import DurableQueue

/// Turns any error into one line on stderr and the contract's exit status.
enum ErrorReport {
    /// The exit status for `kind`, as README's "Exit status" lists them. `cancelled`
    /// is 70: dq cancels no wait of its own (a stop signal ends a command with 128 +
    /// the signal's number), so a cancelled wait reaching here is a bug.
    static func exitCode(for kind: DQError.Kind) -> Int32 {
        switch kind {
        case .invalidArgument: 64
        case .badStore, .invalidData, .staleReceipt: 65
        case .permissionDenied, .diskFull, .storeUnavailable: 73
        case .timedOut, .resourceExhausted: 75
        case .internalError, .cancelled: 70
        }
    }

    static func exit(for error: any Error) -> Never {
        if let error = error as? DQError {
            fail(error.message, status: exitCode(for: error.kind))
        }
        if let code = error as? ExitCode {
            CurrentProcess.exit(code.rawValue)
        }
        let status = DQ.exitCode(for: error)
        if status == .success {
            // --help, --version: ArgumentParser prints them.
            DQ.exit(withError: error)
        }
        let message = DQ.message(for: error)
            .split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "\(error)"
        let line = lowercasedFirst(message.replacing("Error: ", with: ""))
        fail(line + dashHint(line, arguments: Array(CommandLine.arguments.dropFirst())),
             status: status.rawValue == 1 ? 64 : status.rawValue)
    }

    /// ArgumentParser reads any argument that starts with `-` as an option, so a value
    /// such as `-5` or `-1s` before `--` makes it report an argument missing (the one the
    /// user meant to give), an unknown option, or an option's value missing: for those
    /// messages, how to pass such a value. Empty for anything else.
    static func dashHint(_ message: String, arguments: [String]) -> String {
        let shortOptions = ["-0", "-h", "-j", "-n"]
        let options = arguments.prefix { $0 != "--" }
        let dashed = options.filter { $0.count > 1 && $0.hasPrefix("-") && !$0.hasPrefix("--") && !shortOptions.contains($0) }
        let isNegative = { (text: String) in text.hasPrefix("-") && text.dropFirst().first?.isNumber == true }
        if message.hasPrefix("missing expected argument"), let value = dashed.first {
            return " ('\(value)' was read as an option: put -- before a value that starts with -)"
        }
        if dashed.contains(where: { isNegative($0) && message.hasPrefix("unknown option '\($0)'") }) {
            return " (for a value that starts with -, put -- before it)"
        }
        // "missing value for '--count <count>'" when `--count -1` was given.
        if let option = options.indices.dropLast().first(where: {
            isNegative(options[$0 + 1]) && message.hasPrefix("missing value for '\(options[$0]) ")
        }) {
            return " ('\(options[option + 1])' was read as an option: write \(options[option])=\(options[option + 1]))"
        }
        return ""
    }

    /// One `dq: ` line on stderr for a problem the command survives.
    static func warn(_ message: String) {
        Output.standardError.write(Array(("dq: " + message.replacing("\n", with: " ") + "\n").utf8))
    }

    static func fail(_ message: String, status: Int32) -> Never {
        let line = "dq: " + message.replacing("\n", with: " ") + "\n"
        Output.standardError.write(Array(line.utf8))
        CurrentProcess.exit(status)
    }

    private static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first, first.isUppercase,
              text.dropFirst().first.map({ !$0.isUppercase }) ?? true else { return text }
        return first.lowercased() + text.dropFirst()
    }
}
