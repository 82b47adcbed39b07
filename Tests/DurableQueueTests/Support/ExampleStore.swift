import Foundation
import Testing

/// A store in a test's folder holding what dq's examples name (`HelpExamples`): a queue
/// `jobs` with a dead letter, a delayed and a leased message, `photos`, the dict `config`, the list `todo`, the counter
/// `done`, the event `deploy-done`, a message on the pipe `chat`, the stream `orders` with three entries and the groups `billing` and `mail`; and the files the
/// examples read (`cat.png`, `events.txt`, `resize.sh`, `migrate.sh`).
enum ExampleStore {
    /// Seeds the store `store.db` in `directory`; the result of the seeding script.
    static func seed(in directory: TemporaryDirectory) throws -> ProcessResult {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF])
        _ = FileManager.default.createFile(atPath: directory.file("cat.png"), contents: png)
        _ = FileManager.default.createFile(atPath: directory.file("events.txt"), contents: Data("signed up\nlogged in\n".utf8))
        for (name, script) in [("resize.sh", "#!/bin/sh\ncat > /dev/null\n"), ("migrate.sh", "#!/bin/sh\necho migrating\n")] {
            _ = FileManager.default.createFile(atPath: directory.file(name), contents: Data(script.utf8),
                                               attributes: [.posixPermissions: 0o755])
        }
        return try shell("""
            set -e
            dq put jobs broken
            dq nack jobs "$(dq get jobs --lease 1m --json | jq -r .receipt)" --max-attempts 1
            dq put jobs leased-one
            dq get jobs --lease 1h --json > /dev/null
            dq put jobs 'resize cat.png' a b c d e
            dq put jobs later --delay 1h
            dq put photos < cat.png
            dq kv set config mode fast; dq kv set config leader worker-1; dq kv set config settings '{}'
            dq list append todo 'write docs' 'ship it'
            dq counter add done 100 > /dev/null
            dq event set deploy-done
            dq pipe send chat --end first hello
            dq schedule add nightly reports --cron @daily report > /dev/null
            dq subscribe orders --group billing --no-wait || true
            dq subscribe orders --group mail --no-wait || true
            dq publish orders 'order 1 paid' 'order 2 paid' 'order 3 paid'
            """, in: directory)
    }

    /// Runs `script` with bash in `directory`, with `dq` on PATH and `DQ_DB` naming its store.
    static func shell(_ script: String, in directory: TemporaryDirectory) throws -> ProcessResult {
        let environment = ["DQ_DB": directory.file("store.db"), "HOSTNAME": "test-host",
                           "PATH": Executables.directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        return try ChildProcess("/bin/bash", ["-c", "cd '\(directory.path)' && " + script], environment: environment)
            .wait(timeout: .seconds(120))
    }
}
