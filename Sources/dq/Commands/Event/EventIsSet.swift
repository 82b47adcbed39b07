import ArgumentParser
import DurableQueue

extension DQ.EventCommand {
    struct IsSet: RequestCommand {
        static let configuration = CommandConfiguration(commandName: "is-set", abstract: "Exit 0 if the event is set, 1 if not.")
        @OptionGroup var location: Location<Event>
        var request: EventIsSetRequest { EventIsSetRequest(store: location.store, event: location.name) }
    }
}

/// What one `dq event is-set` asks for (see `CommandRequest`).
struct EventIsSetRequest: CommandRequest {
    var store: StoreChoice
    var event: String

    func run() throws { if try !store.open().event(event).isSet() { throw ExitCode(1) } }
}
