import ArgumentParser
import DQSystem
import DurableQueue

extension DQ.ScheduleCommand {
    struct RunDue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-due",
            abstract: "Fire the schedules that are due, once; with --follow, keep firing them.",
            discussion: HelpExamples.discussion("schedule run-due", """
                Each due schedule puts once, whatever number of processes fire at the same \
                time. Prints the name of each schedule this process fired. --follow keeps \
                firing as schedules fall due, asleep in between (woken at the next tick, or \
                when a schedule is added or changed), until SIGTERM or SIGINT.
                """))
        @OptionGroup var global: GlobalOptions
        @Flag(name: .long, help: "Keep firing schedules as they fall due, until stopped.") var follow = false

        func run() throws {
            let store = try global.openStore()
            guard follow else {
                let fired = try store.fireDueSchedules()
                return Output.standardOutput.write(Array(fired.map { $0 + "\n" }.joined().utf8))
            }
            let stopped = try StopSignal.interrupt()
            try store.fireSchedules(interrupt: stopped) { fired in
                Output.standardOutput.write(Array(fired.map { $0 + "\n" }.joined().utf8))
            }
        }
    }
}
