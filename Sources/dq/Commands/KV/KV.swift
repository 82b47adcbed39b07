import ArgumentParser

extension DQ {
    struct KV: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "kv",
            abstract: "A shared dictionary: key → bytes, atomic across processes.",
            discussion: HelpExamples.discussion("kv"),
            subcommands: [Set.self, Get.self, Del.self, Keys.self, Items.self, Wait.self, Cas.self, Drop.self])

        /// The KEY argument, refused if it was not valid UTF-8 (two such keys would read
        /// as one).
        struct KeyArgument: ParsableArguments {
            @Argument(help: "The key within the dict (UTF-8 text).") var key: String
            func validate() throws {
                if RawArguments.wasRepaired(key) { throw ValidationError("key is not valid UTF-8") }
            }
        }
    }
}
