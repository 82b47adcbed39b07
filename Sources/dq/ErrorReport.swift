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
        fail(lowercasedFirst(message.replacing("Error: ", with: "")), status: status.rawValue == 1 ? 64 : status.rawValue)
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
