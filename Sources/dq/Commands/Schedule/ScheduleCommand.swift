import ArgumentParser

extension DQ {
    struct ScheduleCommand: CommandGroup {
        static let configuration = CommandConfiguration(
            commandName: "schedule",
            abstract: "Recurring puts: a body put on a queue every interval or at cron times.",
            discussion: HelpExamples.discussion("schedule", """
                A schedule puts its BODY on its QUEUE once per tick, however many processes \
                fire schedules: every dq worker, every program running Queue.work, and dq \
                schedule run-due. A tick missed while none ran gives one put when one does, \
                not one per missed tick.
                """),
            subcommands: [Add.self, List.self, Remove.self, Run.self, RunDue.self])

        /// The NAME argument of a schedule.
        struct NameArgument: ParsableArguments {
            @Argument(help: "The schedule's name (1-200 bytes of UTF-8, no control characters).")
            var name: String

            func validate() throws { try Parse.name(name, what: "schedule name") }
        }
    }
}
