import ArgumentParser
import DurableQueue

extension DQ {
    struct EventCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "event",
            abstract: "A shared flag: set, clear, is-set (exit 0 set, 1 clear), wait.",
            subcommands: [Set.self, Clear.self, IsSet.self, Wait.self])


        struct Set: RequestCommand {
            static let configuration = CommandConfiguration(
                commandName: "set",
                abstract: "Set the event (wakes its waiters).")
            @OptionGroup var location: Location<Event>
            var request: EventSetRequest { EventSetRequest(store: location.store, event: location.name) }
        }

        struct Clear: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "clear",
                abstract: "Clear the event.")
            @OptionGroup var location: Location<Event>
            func run() throws { try location.open().clear() }
        }

        struct IsSet: RequestCommand {
            static let configuration = CommandConfiguration(commandName: "is-set", abstract: "Exit 0 if the event is set, 1 if not.")
            @OptionGroup var location: Location<Event>
            var request: EventIsSetRequest { EventIsSetRequest(store: location.store, event: location.name) }
        }

        struct Wait: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "wait",
                abstract: "Wait until the event is set; exit 1 on timeout.")
            @OptionGroup var location: Location<Event>
            @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Wait at most this long.", valueName: "duration"), transform: Parse.duration)
            var timeout: Duration?
            func run() throws {
                let interrupt = try WaitInterrupt()
                StopSignal.install(waking: interrupt)
                if try !location.open().wait(timeout: timeout, interrupt: interrupt) {
                    throw ExitCode(StopSignal.pending.map { 128 + $0 } ?? 1)
                }
            }
        }
    }
}

/// What one `dq event set` asks for (see `CommandRequest`).
struct EventSetRequest: CommandRequest {
    var store: StoreChoice
    var event: String

    func run() throws { try store.open().event(event).set() }
}

/// What one `dq event is-set` asks for (see `CommandRequest`).
struct EventIsSetRequest: CommandRequest {
    var store: StoreChoice
    var event: String

    func run() throws { if try !store.open().event(event).isSet() { throw ExitCode(1) } }
}
