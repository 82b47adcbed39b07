/// A value in the store as it changes, as an `AsyncSequence`: the value now, then the
/// new value after every change seen (woken by the store, never polled). Changes that
/// come faster than the loop reads may be seen as one, the latest. Ends when the task
/// is cancelled. Made by `Dict.values(of:)`, `Counter.values()` and `Event.values()`.
///
/// For example, reacting to a counter from another process:
///
/// ```swift
/// for try await done in store.counter("done").values() where done >= 100 {
///     break
/// }
/// ```
public struct StoreValues<Value: Sendable>: AsyncSequence, Sendable {
    public typealias Element = Value
    public typealias Failure = DQError

    /// One read of the value, with what tells two reads apart (a version, or the
    /// value itself).
    struct Reading: Sendable {
        let value: Value
        let version: Int64?
    }

    let subject: WaitSubject
    let store: Store
    let read: @Sendable () throws(DQError) -> Reading

    /// Reads the value now, then waits for each change.
    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Failure = DQError
        let values: StoreValues
        var last: Reading?

        /// The value now (first call), then the next changed value; `nil` once the task
        /// is cancelled.
        ///
        /// - Throws: `DQError` if the store cannot be read.
        public mutating func next() async throws(DQError) -> Value? {
            guard let last else {
                let first = try values.read()
                self.last = first
                return first.value
            }
            let read = values.read
            do {
                let changed = try await values.store.engine.wait(for: values.subject, timeout: nil) {
                    () throws(DQError) -> Reading? in
                    let now = try read()
                    return now.version == last.version ? nil : now
                }
                self.last = changed
                return changed?.value
            } catch where error.kind == .cancelled {
                return nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(values: self, last: nil)
    }
}
