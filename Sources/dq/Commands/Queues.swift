import ArgumentParser
import DurableQueue

extension DQ {
    struct Queues: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "queues",
            abstract: "List every queue that holds messages or dead letters.",
            discussion: HelpExamples.discussion("queues", """
                One name per line, sorted (a queue is listed while it holds anything: ready, delayed or leased \
                messages, or dead letters). --json prints one object per queue: \
                {"queue":…,"ready":…,"delayed":…,"leased":…,"dead":…}. Prints nothing when the \
                store holds no queue. The queues that carry pipes' messages are not listed \
                (dq pipe drop deletes those), nor those holding stream groups' entries (dq groups shows those).
                """))

        @OptionGroup var global: ReadOptions

        @Flag(name: .long, help: "Print one JSON object per queue, with its counts.")
        var json = false

        func run() throws {
            // Pipes' and stream groups' hidden queues are theirs (`dq pipe drop`, `dq groups`),
            // and their names hold control characters no other command takes.
            let queues = try global.openStore().queues().filter { !Queue.isHidden($0.name) }
            if json {
                try Output.standardOutput.writeJSONLines(queues.lazy.map {
                    QueueJSON(queue: $0.name, ready: $0.ready, delayed: $0.delayed, leased: $0.leased, dead: $0.dead)
                })
            } else {
                Output.standardOutput.write(Array(queues.map { $0.name + "\n" }.joined().utf8))
            }
        }

        /// One line of `dq queues --json`.
        struct QueueJSON: Encodable {
            let queue: String
            let ready: Int
            let delayed: Int
            let leased: Int
            let dead: Int
        }
    }
}
