import ArgumentParser
import DQSystem

extension DQ {
    /// Runs CMD so that it dies with the process that started it: sets the parent-death
    /// signal (which survives exec) and replaces itself with CMD. `dq worker` starts
    /// every command through it, so a worker killed with SIGKILL leaves no command
    /// running. Not for direct use.
    struct ChildExec: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "child-exec", abstract: "Run a command that dies with its parent (used by dq worker).",
            shouldDisplay: false)

        @Option(name: .long, help: "The pid of the parent that must be alive.")
        var parent: Int32

        @Argument(parsing: .postTerminator, help: "The command and its arguments.")
        var command: [String] = []

        func run() throws {
            guard !command.isEmpty else { throw ValidationError("child-exec needs a command after --") }
            if (try? CurrentProcess.setParentDeathSignal(.kill)) == nil || CurrentProcess.parentID != parent {
                // The parent is already gone (or the kernel refused): do not run orphaned.
                throw ExitCode(125)
            }
            RunnableCommand.fail(command[0], CurrentProcess.execute(searchingPath: command))
        }
    }
}
