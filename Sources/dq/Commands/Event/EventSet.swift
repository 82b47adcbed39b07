import ArgumentParser
import DurableQueue

extension DQ.EventCommand {
    struct Set: RequestCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the event (wakes its waiters).")
        @OptionGroup var location: Location<Event>
        var request: EventSetRequest { EventSetRequest(store: location.store, event: location.name) }
    }
}

/// What one `dq event set` asks for (see `CommandRequest`).
struct EventSetRequest: CommandRequest {
    var store: StoreChoice
    var event: String

    func run() throws { try store.open().event(event).set() }
}
