import ArgumentParser

/// What one command asks for, as a plain value, however its command line was parsed
/// (by ArgumentParser, or by `QuickPath` for the everyday forms of put and get).
protocol CommandRequest {
    /// Usage errors (`ValidationError`, exit 64), found before anything is done.
    func validate() throws
    func run() throws
}

extension CommandRequest {
    func validate() throws {}
}

/// A command whose ArgumentParser options only fill in a `CommandRequest`.
protocol RequestCommand: ParsableCommand {
    associatedtype Request: CommandRequest
    var request: Request { get }
}

extension RequestCommand {
    func validate() throws { try request.validate() }

    func run() throws { try request.run() }
}
