import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ.ScheduleCommand {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a schedule (or replace the one of that name) that puts BODY on QUEUE.",
            discussion: HelpExamples.discussion("schedule add", """
                --every D ticks every D (at least 1s), the first one D from now. --cron takes \
                the standard five fields, minute hour day-of-month month day-of-week, in local \
                time: each a value, *, a range (1-5), a step (*/15, 8-18/2) or a list of them \
                (1,15,30); months and weekdays may be named (jan, mon-fri; 0 and 7 are \
                Sunday); @hourly, @daily, @weekly, @monthly and @yearly also work. When \
                neither day field is *, a day matching either one is a tick. A bad expression \
                exits 64 naming its field.

                BODY, or all of standard input when it is not given, is what each tick puts. \
                Adding a name that exists replaces that schedule; with the same rule it keeps \
                its next tick, so a deploy script may add its schedules every time it runs. \
                Prints the next tick (RFC 3339, UTC).
                """))

        @OptionGroup var global: GlobalOptions
        @OptionGroup var schedule: NameArgument

        @Argument(help: ArgumentHelp("The queue each tick puts on.", valueName: "queue"))
        var queue: String

        @Argument(help: "What each tick puts; none means read standard input.")
        var body: String?

        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Tick every D (1s, 5m, 1h, 1d).", valueName: "duration"),
                transform: Parse.duration)
        var every: Duration?

        @Option(name: .long, help: ArgumentHelp("Tick at the minutes a cron expression names, as in '*/5 * * * *'.", valueName: "expression"))
        var cron: String?

        func validate() throws {
            try Parse.name(queue, what: "queue name")
            switch (every, cron) {
            case (nil, nil): throw ValidationError("say when it ticks: --every D or --cron 'M H DoM Mon DoW'")
            case (.some, .some): throw ValidationError("give --every or --cron, not both")
            default: break
            }
        }

        func run() throws {
            let rule: ScheduleRule
            if let every {
                rule = .every(every)
            } else {
                rule = .cron(try CronSchedule(parsing: cron ?? ""))
            }
            if body == nil { noteReadingTerminal("schedule add", "the body") }
            let content = body.map { RawArguments.bytes(of: [$0])[0] } ?? readStandardInput()
            let saved = try global.openStore().addSchedule(schedule.name, queue: queue, rule: rule, body: content)
            Output.standardOutput.write(Array((JSONText.timestamp(saved.nextDue) + "\n").utf8))
        }
    }
}
