import ArgumentParser
import DurableQueue
import FoundationEssentials

extension DQ {
    struct Groups: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "groups",
            abstract: "List a stream's consumer groups: what each was handed, holds leased, has waiting.",
            discussion: HelpExamples.discussion("groups", """
                One line per group: DELIVERED (every entry up to this sequence has been \
                handed out), PENDING (leased, not yet settled), LAG (waiting for a \
                subscriber), DEAD (in the group's dead letters); then the stream's last \
                sequence and the extent of its log. --json prints one object with the \
                stream's numbers and a "groups" array. --remove deletes a group and the \
                entries it holds.
                """))

        @OptionGroup var location: ReadLocation<DurableQueue.Stream>

        @Option(name: .long, help: ArgumentHelp("Delete this group (exit 1 if it did not exist).", valueName: "group"))
        var remove: String?

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func validate() throws {
            if let remove { try Parse.name(remove, what: "group name") }
        }

        func run() throws {
            let stream = try location.open()
            if let remove {
                if try !stream.removeGroup(remove) { throw StopSignal.nothingCame }
                return
            }
            let groups = try stream.groups()
            let status = try stream.status()
            if json {
                let list = groups.map {
                    GroupJSON(group: $0.name, delivered: $0.delivered, pending: $0.pending, lag: $0.lag, dead: $0.dead,
                              createdAt: JSONText.timestamp($0.createdAt))
                }
                try Output.standardOutput.writeJSONLine(StreamJSON(stream: stream.name, lastSeq: status.lastSequence,
                                                                  firstSeq: status.firstSequence, length: status.length,
                                                                  groups: list))
                return
            }
            let rows = [["GROUP", "DELIVERED", "PENDING", "LAG", "DEAD"]] + groups.map { group in
                [group.name, "\(group.delivered)", "\(group.pending)", "\(group.lag)", "\(group.dead)"]
            }
            var out = DisplayWidth.table(rows, rightAligned: [1, 2, 3, 4])
            let extent = status.firstSequence.map { "entries \($0)-\(status.lastSequence) (\(status.length))" } ?? "no entries"
            out += "last seq \(status.lastSequence); log holds \(extent)\n"
            Output.standardOutput.write(Data(out.utf8))
        }
    }
}

/// A stream's numbers and its groups: `dq groups --json` (each group with its numbers)
/// and `dq streams --json` (each group's name).
struct StreamJSON<Group: Encodable>: Encodable {
    let stream: String
    let lastSeq: Int64
    let firstSeq: Int64?
    let length: Int
    let groups: [Group]

    enum CodingKeys: String, CodingKey {
        case stream, lastSeq = "last_seq", firstSeq = "first_seq", length, groups
    }
}

/// One group of `dq groups --json`.
struct GroupJSON: Encodable {
    let group: String
    let delivered: Int64
    let pending: Int
    let lag: Int
    let dead: Int
    let createdAt: String

    enum CodingKeys: String, CodingKey {
        case group, delivered, pending, lag, dead, createdAt = "created_at"
    }
}
