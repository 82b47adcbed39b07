import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ.ScheduleCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the schedules: name, queue, rule, next tick, last put.",
            discussion: HelpExamples.discussion("schedule list", """
                Times are RFC 3339 in UTC ("-" for never). --json prints one object per \
                schedule: name, queue, rule ("every 5m" or the cron expression), next_due, \
                last_fired (null if never), and body (body_base64 if it is not UTF-8).
                """))

        @OptionGroup var global: ReadOptions
        @Flag(name: .long, help: "One JSON object per line.") var json = false

        /// One schedule of `--json`.
        struct ScheduleJSON: Encodable {
            let name: String
            let queue: String
            let rule: String
            let nextDue: String
            let lastFired: String?
            let body: String?
            let bodyBase64: String?

            enum CodingKeys: String, CodingKey {
                case name, queue, rule, nextDue = "next_due", lastFired = "last_fired", body, bodyBase64 = "body_base64"
            }

            /// As synthesized, but `last_fired` is there (null) when it never put.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try container.encode(queue, forKey: .queue)
                try container.encode(rule, forKey: .rule)
                try container.encode(nextDue, forKey: .nextDue)
                try container.encode(lastFired, forKey: .lastFired)
                try container.encodeIfPresent(body, forKey: .body)
                try container.encodeIfPresent(bodyBase64, forKey: .bodyBase64)
            }

            init(_ schedule: Schedule) {
                name = schedule.name
                queue = schedule.queue
                rule = schedule.rule.description
                nextDue = JSONText.timestamp(schedule.nextDue)
                lastFired = schedule.lastFired.map(JSONText.timestamp)
                let body = JSONBytes(schedule.body)
                self.body = body.text
                bodyBase64 = body.base64
            }
        }

        func run() throws {
            let schedules = try global.openStore().schedules()
            if json { return try Output.standardOutput.writeJSONLines(schedules.lazy.map(ScheduleJSON.init)) }
            let rows = [["NAME", "QUEUE", "RULE", "NEXT", "LAST"]] + schedules.map { schedule in
                [schedule.name, schedule.queue, schedule.rule.description, JSONText.timestamp(schedule.nextDue),
                 schedule.lastFired.map(JSONText.timestamp) ?? "-"]
            }
            guard rows.count > 1 else { return }
            // Columns by terminal width, as `dq stats` lines them up (names may be wide characters).
            Output.standardOutput.write(Array(DisplayWidth.table(rows).utf8))
        }
    }
}
