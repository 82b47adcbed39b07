/// Where a publish on SQLite collects each entry's result, in order: every one
/// (`[PublishResult]`), or the only one of a one-entry publish (`OnlyPublishResult`),
/// which then allocates no array.
protocol PublishResults {
    init(expecting count: Int)
    mutating func append(_ result: PublishResult)
}

extension Array: PublishResults where Element == PublishResult {
    init(expecting count: Int) {
        self.init()
        reserveCapacity(count)
    }
}

/// The result of a one-entry publish.
struct OnlyPublishResult: PublishResults {
    private(set) var result = PublishResult(sequence: 0, duplicate: false)

    init(expecting count: Int) {}

    mutating func append(_ result: PublishResult) {
        self.result = result
    }
}
