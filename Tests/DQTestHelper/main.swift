// Roles the tests start as real processes (see Tests/DurableQueueTests/ProcessTests.swift):
//
//   dq-test-helper produce DB QUEUE PREFIX COUNT
//       puts PREFIX-000000 … one message per transaction
//   dq-test-helper consume DB QUEUE STOP TIMEOUT_MS
//       gets messages (blocking, TIMEOUT_MS each) and prints "ID BODY" per line until
//       it receives the body STOP; exits 3 if a wait times out
import DurableQueue
import Foundation

@main
struct TestHelper {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else { fail("usage: dq-test-helper ROLE ...") }
        switch arguments[1] {
        case "produce" where arguments.count == 6:
            let queue = try Store(path: arguments[2]).queue(arguments[3])
            let prefix = arguments[4]
            for index in 0..<(Int(arguments[5]) ?? 0) {
                try queue.put(String(format: "%@-%06d", prefix, index))
            }
        case "consume" where arguments.count == 6:
            let queue = try Store(path: arguments[2]).queue(arguments[3])
            let stop = arguments[4]
            let timeout = Duration.milliseconds(Int(arguments[5]) ?? 5_000)
            var out = ""
            while true {
                guard let message = try queue.get(timeout: timeout) else {
                    FileHandle.standardOutput.write(Data(out.utf8))
                    fail("timed out waiting for a message")
                }
                let text = message.text ?? "<binary>"
                if text == stop { break }
                out += "\(message.id) \(text)\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        default:
            fail("unknown role or wrong arguments: \(arguments.dropFirst().joined(separator: " "))")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("dq-test-helper: \(message)\n".utf8))
        exit(3)
    }
}
