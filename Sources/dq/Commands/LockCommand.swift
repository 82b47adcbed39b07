import ArgumentParser
import DQSystem
import DurableQueue
import Synchronization

extension DQ {
    struct LockCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lock",
            abstract: "Run a command holding a named lock; exit with its status.",
            discussion: HelpExamples.discussion("lock", """
                The lock is an advisory flock the kernel releases when its holder exits, however \
                it exits. CMD inherits the locked file, and so does whatever CMD starts: the \
                lock is never free while any of them runs (unless it closes the descriptors it \
                inherited, as a daemon does), and is free as soon as all are gone. CMD itself \
                gets SIGKILL if dq dies. Exits 75 if the lock stays taken past --timeout, 127 \
                without taking the lock if CMD is not found, 126 if it is not executable. \
                SIGTERM to dq is passed on to CMD. On PostgreSQL the lock is a session advisory \
                lock held by dq's connection: if that connection ends while CMD runs (a server \
                restart), CMD gets SIGTERM and dq exits 75, since another process may take the \
                lock from then on.
                """))

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Which lock: every dq lock with this name on this store excludes the others.") var name: String

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long for the lock.", valueName: "duration"),
                transform: Parse.duration)
        var timeout: Duration?

        @Argument(parsing: .postTerminator, help: "The command to run, after --.")
        var command: [String] = []

        func validate() throws {
            try Parse.name(name, what: "lock name")
            if command.isEmpty { throw ValidationError("give the command to run after --, as in: dq lock db -- ./migrate.sh") }
        }

        func run() throws {
            RunnableCommand.check(command)
            let lock = try global.openStore().lock(name)
            let held = try lock.lock(timeout: timeout)
            ForwardedSignal.ignoreInterrupt()
            // The command inherits the locked open file, and so does whatever it starts:
            // the lock stays held until the last of them (or this dq) has closed it, even
            // if dq is killed first. So dq never unlocks: it exits holding the lock, and
            // the kernel lets go of it with the last descriptor.
            let inherited = held.fileDescriptor.map { [FileDescriptor(rawValue: $0)] } ?? []
            guard case .success(let child) = Spawn.command(command, inherit: inherited, ownGroup: false) else {
                held.unlock()
                throw DQError(.internalError, "cannot start \(command[0])")
            }
            ForwardedSignal.forwardTerminate(to: child)
            // On PostgreSQL the lock ends with its connection: then another process may
            // take it, so the command must not go on as if it still had it.
            held.whenLost {
                LostLock.happened.store(true, ordering: .sequentiallyConsistent)
                Signal.terminate.send(to: child.id)
            }
            // Held to the end: a lock freed while taken would crash in libdispatch.
            withExtendedLifetime((lock, held)) {
                let status = child.wait().shellStatus
                if LostLock.happened.load(ordering: .sequentiallyConsistent) {
                    ErrorReport.fail("lost lock \(name) while \(command[0]) ran (its connection to the store ended, so " +
                                     "another process may hold it now); \(command[0]) was sent SIGTERM", status: 75)
                }
                CurrentProcess.exit(status)
            }
        }
    }
}

/// Whether `dq lock` lost its lock while its command ran.
private enum LostLock {
    static let happened = Atomic<Bool>(false)
}

/// Signals `dq lock` passes on to its command (it shares the terminal's process group,
/// so Ctrl-C reaches the command directly; dq itself keeps waiting for it).
enum ForwardedSignal {
    private static let child = Atomic<Int32>(0)

    static func ignoreInterrupt() {
        Signal.ignore(.interrupt)
    }

    static func forwardTerminate(to process: ChildProcess) {
        child.store(process.id, ordering: .sequentiallyConsistent)
        Signal.handle([.terminate], restartingCalls: true) { _ in
            Signal.terminate.send(to: ForwardedSignal.child.load(ordering: .relaxed))
        }
    }
}
