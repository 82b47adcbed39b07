import ArgumentParser
import DurableQueue

extension DQ {
    struct Streams: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "streams",
            abstract: "List every stream of the store.",
            discussion: HelpExamples.discussion("streams", """
                One name per line, sorted (a stream is listed from its first publish or group \
                until dq drop --stream). --json prints one object per stream: \
                {"stream":…,"last_seq":…,"first_seq":…,"length":…,"groups":[…]}. Prints nothing \
                when the store holds no stream.
                """))

        @OptionGroup var global: ReadOptions

        @Flag(name: .long, help: "Print one JSON object per stream, with its numbers and groups.")
        var json = false

        func run() throws {
            let store = try global.openStore()
            let names = try store.streams()
            guard json else {
                return Output.standardOutput.write(Array(names.map { $0 + "\n" }.joined().utf8))
            }
            try Output.standardOutput.writeJSONLines(try names.map { name in
                let status = try store.stream(name).status()
                return StreamJSON(stream: name, lastSeq: status.lastSequence, firstSeq: status.firstSequence,
                                      length: status.length, groups: status.groups)
            })
        }
    }
}
