import ArgumentParser
import DQBench
import DurableQueue
import FoundationEssentials

extension DQ {
    /// A child process of `dq bench`; not for direct use.
    struct BenchRole: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-role", abstract: "A benchmark child process (used by dq bench).", shouldDisplay: false)

        @Argument(help: "The role, as JSON.")
        var spec: String

        func run() throws {
            let role: RoleSpec
            do { role = try JSONDecoder().decode(RoleSpec.self, from: Data(spec.utf8)) } catch {
                throw DQError(.invalidArgument, "bench-role: bad role JSON: \(error)")
            }
            do { try RoleRunner.run(role) } catch let error as DQError { throw error } catch {
                throw DQError(.internalError, "bench-role \(role.kind.rawValue): \(error)")
            }
        }
    }
}
