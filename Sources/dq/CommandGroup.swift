import ArgumentParser

/// A command that only groups subcommands (`kv`, `list`, `counter`, `event`): given
/// without one, it is a usage error (64) naming them, not a help page with status 0.
protocol CommandGroup: ParsableCommand {}

extension CommandGroup {
    func run() throws {
        let names = Self.configuration.subcommands.compactMap { $0.configuration.commandName }
        throw ValidationError("\(Self.configuration.commandName ?? "this command") needs a subcommand: \(names.joined(separator: ", ")) (see --help)")
    }
}
