import ArgumentParser
import DQSystem
import DQWeb
import Dispatch
import DurableQueue
import Logging
import Synchronization

extension DQ {
    struct Web: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "web",
            abstract: "Serve a live dashboard of the store, and /metrics for Prometheus.",
            discussion: HelpExamples.discussion("web", """
                One page: every queue with ready, delayed, leased and dead messages, the age of its \
                oldest ready message and its rates in and out, redrawn as the store changes (no \
                reload, no timer in the browser); a queue's next messages and dead letters, with \
                retry and purge; streams with each group's position, pending and lag; schedules. \
                /metrics serves the same numbers in Prometheus text format. Runs until Ctrl-C or \
                SIGTERM. Listens on 127.0.0.1:8080 unless --listen says otherwise; a non-loopback \
                address needs a token (--token, or $DQ_WEB_TOKEN, which keeps it out of ps), which \
                every request must then carry: open /?token=TOKEN once in a browser (it keeps a \
                cookie), or send Authorization: Bearer TOKEN. Changes are POSTs, refused with \
                --read-only, without the token, or from another site's page (Origin).
                """))

        @OptionGroup var global: ReadOptions

        @Option(name: .long, help: ArgumentHelp("The address and port to listen on (port 0: any free one).", valueName: "addr:port"))
        var listen = "127.0.0.1:8080"

        @Option(name: .long, help: "The token every request must carry (default: $DQ_WEB_TOKEN). Required off loopback.")
        var token: String?

        @Flag(name: .long, help: "Show everything, change nothing: every POST is refused.")
        var readOnly = false

        func run() throws {
            let access: WebAccess
            do throws(WebAccess.Refusal) {
                let address = try WebAccess.listenAddress(listen)
                access = try WebAccess(host: address.host, port: address.port,
                                       token: token ?? Environment.value("DQ_WEB_TOKEN").flatMap { $0.isEmpty ? nil : $0 },
                                       readOnly: readOnly)
            } catch {
                throw ValidationError(error.description)
            }
            let store = try global.openStore()
            var logger = Logger(label: "dq.web")
            logger.logLevel = .warning
            let server = DashboardServer(store: store, access: access, logger: logger)
            let failure = Mutex<(any Error)?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                do {
                    try await server.run { port in
                        let host = access.host.contains(":") ? "[\(access.host)]" : access.host
                        Output.standardOutput.write(Array("dq web: serving \(store.path) on http://\(host):\(port)/\n".utf8))
                    }
                } catch {
                    failure.withLock { $0 = error }
                }
                done.signal()
            }
            done.wait()
            if let error = failure.withLock({ $0 }) {
                ErrorReport.fail("cannot serve on \(listen): \(error)", status: 69)
            }
        }
    }
}
