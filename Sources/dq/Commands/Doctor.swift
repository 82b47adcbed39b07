import ArgumentParser
import DurableQueue
import DurableQueuePostgres
import FoundationEssentials

extension DQ {
    struct DoctorCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check a store: filesystem (or server), integrity, schema, sizes, leases, dead letters.",
            discussion: HelpExamples.discussion("doctor", """
                Prints one line per check (ok, warning, PROBLEM), and the first problem again \
                on stderr as a dq: line. Exits 0 when nothing is a problem, 65 when the store is \
                damaged or not a dq store, 73 when it cannot be used where it is (a network or \
                FUSE filesystem, a missing file, a directory; a PostgreSQL server that cannot be \
                reached or refuses the login, a database without dq's schema), 64 for an empty \
                path. On PostgreSQL the checks are server, schema, integrity, leases, dead \
                letters, size and bloat (dead tuples outnumbering live ones). --json prints one \
                object: "path" (an address without its password), "status" (ok, warning or \
                problem) and "checks", each with "check", "status", "detail" (for a person) and \
                "values" (its numbers: version, db_bytes, pages, page_size, wal_bytes, \
                free_pages, leased, past_lease, dead; on PostgreSQL server_version_num, \
                dead_tuples, live_tuples).
                """))

        @OptionGroup var global: ReadOptions

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        /// What `--json` prints.
        struct ReportJSON: Encodable {
            let path: String
            let status: String
            let checks: [CheckJSON]
        }

        /// One check of `--json`: the line for a person, and its numbers for a program.
        struct CheckJSON: Encodable {
            let check: String
            let status: String
            let detail: String
            let values: SortedKeys<Int64>
        }

        func run() throws {
            let path = global.db ?? StoreLocation.defaultPath(environment: ProcessInfo.processInfo.environment)
            let diagnosis = Doctor.examine(location: path)
            if json {
                let checks = diagnosis.findings.map { CheckJSON(check: $0.check, status: $0.severity.rawValue, detail: $0.detail, values: SortedKeys($0.values)) }
                let report = ReportJSON(path: diagnosis.path, status: diagnosis.severity.rawValue, checks: checks)
                try Output.standardOutput.writeJSONLine(report)
            } else {
                var text = "store \(diagnosis.path)\n"
                for finding in diagnosis.findings {
                    let label = finding.severity == .problem ? "PROBLEM" : finding.severity.rawValue
                    text += label + String(repeating: " ", count: max(1, 8 - label.count)) + finding.check + ": " + finding.detail + "\n"
                }
                Output.standardOutput.write(Array(text.utf8))
            }
            // A store that cannot be opened exits as any command would have; a damaged one 65.
            guard let problem = diagnosis.findings.first(where: { $0.severity == .problem }) else { return }
            ErrorReport.fail(problem.detail, status: diagnosis.failure.map { ErrorReport.exitCode(for: $0.kind) } ?? 65)
        }
    }
}
