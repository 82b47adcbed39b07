import ArgumentParser

extension DQ {
    struct EventCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "event",
            abstract: "A shared flag: set, clear, is-set (exit 0 set, 1 clear), wait.",
            discussion: HelpExamples.discussion("event"),
            subcommands: [Set.self, Clear.self, IsSet.self, Wait.self, Drop.self])
    }
}
