import ArgumentParser

extension DQ {
    struct ListCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "A shared list of values: append, read, pop.",
            discussion: HelpExamples.discussion("list"),
            subcommands: [Append.self, Items.self, Len.self, Pop.self, Drop.self])
    }
}
