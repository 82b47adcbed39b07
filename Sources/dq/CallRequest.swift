import DurableQueue

/// A named object of a store, not opened yet: what a command works on, however its
/// command line was parsed.
struct Target<Object: StoreObject> {
    var store: StoreChoice
    var name: String

    /// Opens the store and the object in it.
    func open() throws -> Object { try Object.open(name, in: store.open()) }

    /// The same object, for a command that only reads it (see `StoreChoice.reading`).
    var reading: Target { Target(store: store.reading, name: name) }

    /// A request that opens the object and makes `call` on it.
    func request(_ call: @escaping (Object) throws -> Void) -> CallRequest {
        CallRequest(target: self, call: call)
    }

    /// A request that opens the object and prints the number `call` returns (a count, a
    /// counter's value) on a line of its own.
    ///
    /// For example, `dq len`'s: `queue.printing { try $0.count() }`.
    func printing<Number: BinaryInteger>(_ call: @escaping (Object) throws -> Number) -> CallRequest {
        request { Output.standardOutput.writeLine(try call($0)) }
    }

    /// A request that opens the object and makes `call` on it, which returns how many
    /// things it changed; with `json` it prints that count as `{"<key>":N}`.
    ///
    /// For example, `dq retry-dead --json`'s: `queue.reporting("retried", json: true) { try $0.retryDead() }`.
    func reporting(_ key: String, json: Bool, _ call: @escaping (Object) throws -> Int) -> CallRequest {
        request { object in
            let count = try call(object)
            if json { try Output.standardOutput.writeJSONLine([key: count]) }
        }
    }
}

/// What a command that makes one call on one named object asks for (`len`, `counter
/// add`, `kv get`, `event set`, …), as its ArgumentParser command and `QuickPath` both
/// build it: each command has one function that makes its request from a `Target`.
///
/// Not generic over the object's type: boxing a `CallRequest` as a
/// `CommandRequest` would make the Swift runtime check `Queue: StoreObject`, a search of
/// every protocol conformance in the binary (0.2-0.3 ms of each `dq len`, `kv get`, …).
struct CallRequest: CommandRequest {
    private let action: () throws -> Void

    init<Object: StoreObject>(target: Target<Object>, call: @escaping (Object) throws -> Void) {
        action = { try call(target.open()) }
    }

    func run() throws { try action() }
}
