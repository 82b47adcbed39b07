import ArgumentParser
import DurableQueue

/// The store options and the first argument, naming the queue, dict, list, counter or
/// event a command works on: `@OptionGroup var location: Location<Dict>`, or
/// `ReadLocation<Dict>` for a command that only reads.
struct ObjectLocation<Options: StoreOptionGroup, Object: StoreObject>: ParsableArguments {
    @OptionGroup var global: Options

    @Argument(help: ArgumentHelp(Object.argumentHelp, valueName: Object.argumentName), completion: Object.nameCompletion)
    var name: String

    func validate() throws { try Parse.name(name, what: Object.argumentName + " name") }

    /// Which store (for reading, with `ReadOptions`), and how durable, as a plain value.
    var store: StoreChoice { global.choice }

    /// The store and the name, as a plain value.
    var target: Target<Object> { Target(store: store, name: name) }

    /// Opens the store and the object in it.
    func open() throws -> Object { try target.open() }
}

/// The location of a command that writes or waits: `GlobalOptions`.
typealias Location<Object: StoreObject> = ObjectLocation<GlobalOptions, Object>

/// The location of a command that only reads: `ReadOptions`.
typealias ReadLocation<Object: StoreObject> = ObjectLocation<ReadOptions, Object>

extension ObjectLocation where Options == ReadOptions {
    /// Opens the object for a command that waits on it (`peek --follow`): a missing
    /// store is made, as for every wait, so the reader may start before the writer.
    func openForWaiting() throws -> Object {
        var store = self.store
        store.access = .create
        return try Target(store: store, name: name).open()
    }
}

/// A kind of named object in a store, as a command's first argument names it.
protocol StoreObject: SendableMetatype {
    /// The argument's value name (`<dict>`), and what its name is called in errors ("dict name").
    static var argumentName: String { get }
    /// The argument's help text.
    static var argumentHelp: String { get }
    static func open(_ name: String, in store: Store) throws -> Self
    /// The names of this kind the store holds, as `stats` counts them.
    static func names(in stats: StoreStats) -> [String]
}

extension StoreObject {
    static var argumentHelp: String {
        "The \(argumentName)'s name (1-200 bytes of UTF-8, no control characters; made by its first write)."
    }
}

extension Queue: StoreObject {
    static var argumentName: String { "queue" }
    static var argumentHelp: String { "The queue's name (1-200 bytes of UTF-8, no control characters; made by its first put)." }
    static func open(_ name: String, in store: Store) throws -> Queue { try store.queue(name) }
    static func names(in stats: StoreStats) -> [String] { stats.queues.map(\.name) }
}

extension Dict: StoreObject {
    static var argumentName: String { "dict" }
    static func open(_ name: String, in store: Store) throws -> Dict { try store.dict(name) }
    static func names(in stats: StoreStats) -> [String] { Array(stats.dicts.keys) }
}

extension SharedList: StoreObject {
    static var argumentName: String { "list" }
    static func open(_ name: String, in store: Store) throws -> SharedList { try store.list(name) }
    static func names(in stats: StoreStats) -> [String] { Array(stats.lists.keys) }
}

extension Counter: StoreObject {
    static var argumentName: String { "counter" }
    static func open(_ name: String, in store: Store) throws -> Counter { try store.counter(name) }
    static func names(in stats: StoreStats) -> [String] { Array(stats.counters.keys) }
}

extension Event: StoreObject {
    static var argumentName: String { "event" }
    static func open(_ name: String, in store: Store) throws -> Event { try store.event(name) }
    static func names(in stats: StoreStats) -> [String] { Array(stats.events.keys) }
}
