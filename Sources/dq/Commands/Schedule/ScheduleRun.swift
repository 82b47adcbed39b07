import ArgumentParser
import DurableQueue

extension DQ.ScheduleCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Put a schedule's body on its queue now; exit 1 if there is no such schedule.",
            discussion: HelpExamples.discussion("schedule run", "Its ticks stay as they were."))
        @OptionGroup var global: GlobalOptions
        @OptionGroup var schedule: NameArgument

        func run() throws {
            if try !global.openStore().runSchedule(schedule.name) { throw ExitCode(1) }
        }
    }
}
