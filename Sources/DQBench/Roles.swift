import DQSystem
import DurableQueue
import DurableQueuePostgres
import FoundationEssentials

/// The child side of `dq bench`: runs one `RoleSpec` between the barrier and the report.
public enum RoleRunner {
    /// The body a producer puts last to tell consumers to stop.
    static let stopMarker = Data("STOP".utf8)

    /// Runs `spec` in this process: set-up, `ready`, wait for go, timed work, `result`.
    public static func run(_ spec: RoleSpec) throws {
        switch spec.kind {
        case .put: try put(spec)
        case .get: try get(spec)
        case .leaseAck: try leaseAck(spec)
        case .floorPut: try floorPut(spec)
        case .floorGet: try floorGet(spec)
        case .produce: try produce(spec)
        case .consume: try consume(spec)
        case .ping: try ping(spec)
        case .pong: try pong(spec)
        case .caller: try caller(spec)
        case .responder: try responder(spec)
        case .floorPing: try PostgresAddress.isAddress(spec.db) ? postgresFloorPing(spec) : floorPing(spec)
        case .floorPong: try PostgresAddress.isAddress(spec.db) ? postgresFloorPong(spec) : floorPong(spec)
        case .pipePing: try pipePing(spec)
        case .pipePong: try pipePong(spec)
        case .idle: try idle(spec)
        case .floorIdle: try postgresFloorIdle(spec)
        case .timedPut: try timedPut(spec)
        case .kvSetter: try kvSetter(spec)
        case .kvWaiter: try kvWaiter(spec)
        case .eventSetter: try eventSetter(spec)
        case .eventWaiter: try eventWaiter(spec)
        case .publish: try publish(spec)
        case .subscribe: try subscribe(spec)
        case .floorPublish: try floorPublish(spec)
        case .floorSubscribe: try floorSubscribe(spec)
        }
    }

    // MARK: Barrier and report

    /// Tells the parent set-up is done and blocks until it releases every child at once.
    /// The end of input instead means the parent gave up (or died): exit at once.
    static func barrier() {
        writeLine("ready")
        var byte: UInt8 = 0
        let count = withUnsafeMutableBytes(of: &byte) { try? FileDescriptor.standardInput.read(into: $0) }
        if count != 1 { CurrentProcess.exit(1) }
    }

    static func report(_ report: RoleReport) throws {
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        writeLine("result " + json)
    }

    private static func writeLine(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        let written = bytes.withUnsafeBytes { (try? FileDescriptor.standardOutput.writeAll($0)) != nil }
        if !written { CurrentProcess.exit(1) }
    }

    struct RoleFailure: Error, CustomStringConvertible {
        let description: String
    }

    private static func queue(_ spec: RoleSpec) throws -> Queue {
        let durability = Durability(rawValue: spec.sync) ?? .normal
        let options = StoreOptions(durability: durability, writerLock: spec.writerLock)
        return try Store.open(spec.db, options: options).queue(spec.queue)
    }

    private static func bodies() -> [Data] {
        var random = RandomBodies()
        return (0..<256).map { _ in Data(random.take()) }
    }

    // MARK: Throughput roles

    private static func put(_ spec: RoleSpec) throws {
        let queue = try queue(spec)
        guard spec.batch > 1 else { return try sendBodies(spec) { _ = try queue.put($0) } }
        let pool = bodies()
        barrier()
        let start = BenchClock.now()
        var done = 0
        while done < spec.count {
            let size = min(spec.batch, spec.count - done)
            try queue.put(contentsOf: (done..<done + size).map { OutgoingMessage(pool[$0 & 255]) })
            done += size
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: done, samples: []))
    }

    private static func timedPut(_ spec: RoleSpec) throws {
        let queue = try queue(spec)
        let pool = bodies()
        barrier()
        let start = BenchClock.now()
        var samples: [UInt64] = []
        samples.reserveCapacity(spec.count)
        for index in 0..<spec.count {
            let before = BenchClock.now()
            try queue.put(pool[index & 255])
            samples.append((BenchClock.now() - before) / 1_000)
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: samples))
    }

    private static func get(_ spec: RoleSpec) throws {
        let queue = try queue(spec)
        barrier()
        let start = BenchClock.now()
        for _ in 0..<spec.count {
            guard try queue.get(timeout: .zero) != nil else { throw RoleFailure(description: "the queue ran dry") }
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    private static func leaseAck(_ spec: RoleSpec) throws {
        let queue = try queue(spec)
        barrier()
        let start = BenchClock.now()
        // Each ack rides in the transaction that leases the next message, as a consumer
        // handling one message after another does (`receive(lease:acking:)`).
        var done: [Receipt] = []
        for _ in 0..<spec.count {
            guard let leased = try queue.receive(lease: .seconds(60), timeout: .zero, acking: done).first else {
                throw RoleFailure(description: "the queue ran dry")
            }
            done = [leased.receipt]
        }
        try queue.ack(done[0])
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    private static func floorPut(_ spec: RoleSpec) throws {
        let floor = try FloorQueues.open(spec.db, sync: spec.sync)
        var random = RandomBodies()
        let pool = (0..<256).map { _ in random.take() }
        barrier()
        let start = BenchClock.now()
        var done = 0
        while done < spec.count {
            let size = min(max(1, spec.batch), spec.count - done)
            try floor.put((done..<done + size).map { pool[$0 & 255] })
            done += size
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: done, samples: []))
    }

    private static func floorGet(_ spec: RoleSpec) throws {
        let floor = try FloorQueues.open(spec.db, sync: spec.sync)
        barrier()
        let start = BenchClock.now()
        for _ in 0..<spec.count {
            guard try floor.get() != nil else { throw RoleFailure(description: "the floor table ran dry") }
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    static func synchronous(_ spec: RoleSpec) -> String { spec.sync == "full" ? "FULL" : "NORMAL" }

    // MARK: Pipeline and latency roles

    /// Puts `count` bodies whose first 8 bytes are the monotonic send time, paced at
    /// `rate` per second when given, then the stop marker.
    private static func produce(_ spec: RoleSpec) throws {
        let queue = try queue(spec)
        try sendStamped(spec) { try queue.put($0) }
    }

    /// Blocking gets until a stop marker; each sample is receive time minus send time.
    private static func consume(_ spec: RoleSpec) throws {
        let queue = try queue(spec)
        try receiveStamped { try queue.get(timeout: .seconds(60))?.body }
    }

    /// After the barrier: `send`s `count` bodies as they are, one after another; reports
    /// the span.
    static func sendBodies(_ spec: RoleSpec, send: (Data) throws -> Void) throws {
        let pool = bodies()
        barrier()
        let start = BenchClock.now()
        for index in 0..<spec.count { try send(pool[index & 255]) }
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    /// After the barrier: `send`s `count` bodies whose first 8 bytes are the monotonic send
    /// time, paced at `rate` per second when given, then the stop marker; reports the span.
    static func sendStamped(_ spec: RoleSpec, send: (Data) throws -> Void) throws {
        var pool = bodies()
        barrier()
        let start = BenchClock.now()
        let interval = spec.rate.map { UInt64(1e9 / $0) }
        for index in 0..<spec.count {
            if let interval { BenchClock.sleep(until: start + UInt64(index) * interval) }
            var stamp = BenchClock.now().littleEndian
            withUnsafeBytes(of: &stamp) { pool[index & 255].replaceSubrange(0..<8, with: $0) }
            try send(pool[index & 255])
        }
        try send(stopMarker)
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    /// After the barrier: bodies from `next` (`nil`: nothing for 60 s) until the stop
    /// marker; reports each one's receive time minus its send time.
    static func receiveStamped(_ next: () throws -> Data?) throws {
        barrier()
        let start = BenchClock.now()
        var samples: [UInt64] = []
        while true {
            guard let body = try next() else { throw RoleFailure(description: "nothing for 60 s") }
            let now = BenchClock.now()
            if body == stopMarker { break }
            let sent = body.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            samples.append(now > sent ? (now - sent) / 1_000 : 0)
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: samples.count, samples: samples))
    }

    // MARK: Round-trip roles

    private static func ping(_ spec: RoleSpec) throws {
        let store = try queue(spec).store
        let requests = try store.queue(spec.queue + ".req")
        let replies = try store.queue(spec.queue + ".rep")
        let body = Data(repeating: 0x2A, count: 16)
        try timedRoundTrips(spec) {
            try requests.put(body)
            guard try replies.get(timeout: .seconds(60)) != nil else { throw RoleFailure(description: "no reply for 60 s") }
        }
    }

    private static func pong(_ spec: RoleSpec) throws {
        let store = try queue(spec).store
        let requests = try store.queue(spec.queue + ".req")
        let replies = try store.queue(spec.queue + ".rep")
        try answering(spec) {
            guard let request = try requests.get(timeout: .seconds(60)) else { throw RoleFailure(description: "no request for 60 s") }
            try replies.put(request.body)
        }
    }

    private static func caller(_ spec: RoleSpec) throws {
        let requests = try queue(spec)
        let body = Data(repeating: 0x2A, count: 16)
        try timedRoundTrips(spec) {
            guard try requests.call(body, timeout: .seconds(60)) != nil else { throw RoleFailure(description: "no reply for 60 s") }
        }
    }

    private static func responder(_ spec: RoleSpec) throws {
        let requests = try queue(spec)
        try answering(spec) {
            guard try requests.respond(timeout: .seconds(60), handler: { Reply($0.body) }) else {
                throw RoleFailure(description: "no request for 60 s")
            }
        }
    }

    /// Runs `exchange` `spec.count` times after the barrier, timing each one.
    static func timedRoundTrips(_ spec: RoleSpec, _ exchange: () throws -> Void) throws {
        barrier()
        let start = BenchClock.now()
        var samples: [UInt64] = []
        samples.reserveCapacity(spec.count)
        for _ in 0..<spec.count {
            let sent = BenchClock.now()
            try exchange()
            samples.append((BenchClock.now() - sent) / 1_000)
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: samples))
    }

    /// Runs `answer` `spec.count` times after the barrier.
    static func answering(_ spec: RoleSpec, _ answer: () throws -> Void) throws {
        barrier()
        let start = BenchClock.now()
        for _ in 0..<spec.count { try answer() }
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    /// The raw SQLite round trip: a request table and a reply table, each with a bell
    /// rung after every commit; a reader looks (one read), takes if there is a row
    /// (`BEGIN IMMEDIATE`, delete the oldest, commit), and sleeps on its bell while
    /// there is none. The watch is set before the first look, so no ring is missed.
    private struct FloorRoundTrip {
        let requests, replies: RawSQLiteQueue
        let requestBell, replyBell: RawBell

        init(_ spec: RoleSpec, answering: Bool) {
            let synchronous = RoleRunner.synchronous(spec)
            requests = RawSQLiteQueue(path: spec.db, synchronous: synchronous, table: "request")
            replies = RawSQLiteQueue(path: spec.db, synchronous: synchronous, table: "reply")
            requestBell = RawBell(path: spec.db + ".request-bell", watching: answering)
            replyBell = RawBell(path: spec.db + ".reply-bell", watching: !answering)
        }

        static func take(_ queue: RawSQLiteQueue, sleepingOn bell: RawBell) -> [UInt8] {
            while true {
                if !queue.isEmpty(), let body = queue.get() { return body }
                bell.wait()
            }
        }
    }

    private static func floorPing(_ spec: RoleSpec) throws {
        let floor = FloorRoundTrip(spec, answering: false)
        let body = [UInt8](repeating: 0x2A, count: 16)
        try timedRoundTrips(spec) {
            floor.requests.put([body])
            floor.requestBell.ring()
            _ = FloorRoundTrip.take(floor.replies, sleepingOn: floor.replyBell)
        }
    }

    private static func floorPong(_ spec: RoleSpec) throws {
        let floor = FloorRoundTrip(spec, answering: true)
        try answering(spec) {
            let request = FloorRoundTrip.take(floor.requests, sleepingOn: floor.requestBell)
            floor.replies.put([request])
            floor.replyBell.ring()
        }
    }

    /// The FIFOs `dq bench` made for the pipe floor: requests and replies.
    static func fifoPaths(_ spec: RoleSpec) -> (request: String, reply: String) {
        (spec.db + ".req.fifo", spec.db + ".rep.fifo")
    }

    private static func pipePing(_ spec: RoleSpec) throws {
        let paths = fifoPaths(spec)
        guard let request = try? FileDescriptor.open(paths.request, .writeOnly, options: [.closeOnExec]),
              let reply = try? FileDescriptor.open(paths.reply, .readOnly, options: [.closeOnExec]) else {
            throw RoleFailure(description: "cannot open the FIFOs")
        }
        var buffer = [UInt8](repeating: 0x2A, count: 16)
        try timedRoundTrips(spec) {
            try transfer(request, &buffer, writing: true)
            try transfer(reply, &buffer, writing: false)
        }
    }

    private static func pipePong(_ spec: RoleSpec) throws {
        let paths = fifoPaths(spec)
        guard let request = try? FileDescriptor.open(paths.request, .readOnly, options: [.closeOnExec]),
              let reply = try? FileDescriptor.open(paths.reply, .writeOnly, options: [.closeOnExec]) else {
            throw RoleFailure(description: "cannot open the FIFOs")
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        try answering(spec) {
            try transfer(request, &buffer, writing: false)
            try transfer(reply, &buffer, writing: true)
        }
    }

    /// Writes or reads exactly `buffer.count` bytes.
    private static func transfer(_ fd: FileDescriptor, _ buffer: inout [UInt8], writing: Bool) throws {
        var offset = 0
        while offset < buffer.count {
            let count = buffer.withUnsafeMutableBytes { bytes in
                let rest = UnsafeMutableRawBufferPointer(rebasing: bytes[offset...])
                return (try? writing ? fd.write(UnsafeRawBufferPointer(rest)) : fd.read(into: rest)) ?? -1
            }
            guard count > 0 else { throw RoleFailure(description: "the pipe closed") }
            offset += count
        }
    }

    // MARK: Shared state

    private static func kvSetter(_ spec: RoleSpec) throws {
        let dict = try queue(spec).store.dict("bench")
        barrier()
        let start = BenchClock.now()
        let interval = UInt64(1e9 / (spec.rate ?? 200))
        for index in 0..<spec.count {
            BenchClock.sleep(until: start + UInt64(index + 1) * interval)
            try dict.set("clock", String(BenchClock.now()))
        }
        try dict.set("clock", "stop")
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    private static func kvWaiter(_ spec: RoleSpec) throws {
        let dict = try queue(spec).store.dict("bench")
        barrier()
        let start = BenchClock.now()
        var samples: [UInt64] = []
        while true {
            guard let change = try dict.waitForChange(of: "clock", timeout: .seconds(60)) else {
                throw RoleFailure(description: "no change for 60 s")
            }
            let now = BenchClock.now()
            guard let text = change.value.flatMap({ String(data: $0, encoding: .utf8) }), text != "stop" else { break }
            if let sent = UInt64(text) { samples.append(now > sent ? (now - sent) / 1_000 : 0) }
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: samples.count, samples: samples))
    }

    private static func eventSetter(_ spec: RoleSpec) throws {
        let store = try queue(spec).store
        let (dict, event, rounds) = (try store.dict("bench"), try store.event("bench"), try store.counter("bench"))
        barrier()
        let start = BenchClock.now()
        for round in 1...spec.count {
            try dict.set("sent", String(BenchClock.now()))
            try event.set()
            guard try rounds.wait(atLeast: Int64(round), timeout: .seconds(60)) != nil else {
                throw RoleFailure(description: "the event waiter stopped answering")
            }
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: spec.count, samples: []))
    }

    private static func eventWaiter(_ spec: RoleSpec) throws {
        let store = try queue(spec).store
        let (dict, event, rounds) = (try store.dict("bench"), try store.event("bench"), try store.counter("bench"))
        barrier()
        let start = BenchClock.now()
        var samples: [UInt64] = []
        for _ in 0..<spec.count {
            guard try event.wait(timeout: .seconds(60)) else { throw RoleFailure(description: "the event was not set") }
            let now = BenchClock.now()
            if let sent = try dict.get("sent").flatMap({ UInt64(String(decoding: $0, as: UTF8.self)) }) {
                samples.append(now > sent ? (now - sent) / 1_000 : 0)
            }
            try event.clear()
            try rounds.add()
        }
        try report(RoleReport(start: start, end: BenchClock.now(), count: samples.count, samples: samples))
    }

    // MARK: Idle

    private static func idle(_ spec: RoleSpec) throws {
        let queue = try queue(spec)
        let seconds = spec.seconds ?? 10
        barrier()
        let cpu = BenchClock.cpuMicroseconds()
        let start = BenchClock.now()
        if try queue.get(timeout: .milliseconds(Int64(seconds * 1_000))) != nil {
            throw RoleFailure(description: "the idle queue was not empty")
        }
        let end = BenchClock.now()
        try report(RoleReport(start: start, end: end, count: 1, samples: [], cpuMicroseconds: BenchClock.cpuMicroseconds() - cpu))
    }
}
