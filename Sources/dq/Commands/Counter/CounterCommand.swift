import ArgumentParser

extension DQ {
    struct CounterCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "counter",
            abstract: "A shared integer: atomic add, get, set, wait.",
            subcommands: [Add.self, Get.self, Set.self, Wait.self])
    }
}
