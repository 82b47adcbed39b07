import ArgumentParser
import DurableQueue

extension DQ.ScheduleCommand {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove a schedule; exit 1 if there was none of that name.",
            discussion: HelpExamples.discussion("schedule remove"))
        @OptionGroup var global: GlobalOptions
        @OptionGroup var schedule: NameArgument

        func run() throws {
            if try !global.openStore().removeSchedule(schedule.name) { throw ExitCode(1) }
        }
    }
}
