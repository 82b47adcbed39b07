/// What one benchmark child process does: `dq bench-role JSON` runs it.
///
/// Every role opens its store, prepares, prints `ready`, waits for the parent's go
/// (the barrier), runs timed, and prints one `result` line with a `RoleReport`.
public struct RoleSpec: Codable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// dq: put `count` messages, `batch` per transaction.
        case put
        /// dq: get `count` messages one at a time from a filled queue (no waiting).
        case get
        /// dq: lease and ack `count` messages one at a time from a filled queue.
        case leaseAck
        /// raw SQL (SQLite, or PostgreSQL for a `postgres://` db): insert `count` rows, `batch` per transaction.
        case floorPut
        /// raw SQL: delete `count` rows one per transaction.
        case floorGet
        /// dq: put `count` timestamped messages (paced at `rate` per second if set), then a stop marker.
        case produce
        /// dq: blocking gets until a stop marker; records end-to-end latency.
        case consume
        /// dq: `count` round trips: put a request, wait for the reply.
        case ping
        /// dq: answer `count` requests.
        case pong
        /// dq: `count` calls (`Queue.call`), each waiting for its reply.
        case caller
        /// dq: answer `count` calls (`Queue.respond`).
        case responder
        /// raw SQL: `count` round trips through two tables, woken by inotify (SQLite) or
        /// LISTEN/NOTIFY (PostgreSQL).
        case floorPing
        /// raw SQL: answer `count` requests.
        case floorPong
        /// kernel: `count` round trips over a pair of FIFOs.
        case pipePing
        /// kernel: answer `count` requests over the FIFOs.
        case pipePong
        /// dq: one blocking get on an empty queue for `seconds`; reports CPU used.
        case idle
        /// floor-W7 on PostgreSQL: LISTEN and a raw look once a second on one connection.
        case floorIdle
        /// dq: put `count` messages one per transaction, recording each put's latency.
        case timedPut
        /// dq: set a dict key to the monotonic time `count` times, `rate` per second.
        case kvSetter
        /// dq: wait for each change of that key; records change-to-wake latency.
        case kvWaiter
        /// dq: `count` times: note the time in a dict, set an event, wait for the waiter.
        case eventSetter
        /// dq: wait for the event, record the latency, clear it, count the round.
        case eventWaiter
        /// dq: publish `count` entries on stream "bench", one per transaction (paced and
        /// timestamped at `rate` per second if set, then a stop marker).
        case publish
        /// dq: blocking gets for group `queue` of stream "bench" until a stop marker; records latency.
        case subscribe
        /// raw SQLite (floor-S2): insert `count` timestamped rows at `rate` per second into
        /// one table, ringing a bell file after each commit, then a stop marker.
        case floorPublish
        /// raw SQLite (floor-S2): woken by the bell (inotify), read the rows after the last
        /// one seen, without writing, until the stop marker; records latency.
        case floorSubscribe
    }

    public var kind: Kind
    public var db: String
    public var sync: String
    public var count: Int
    public var batch: Int
    public var rate: Double?
    public var seconds: Double?
    public var queue: String
    /// Whether writers take turns on dq's flock (`StoreOptions.writerLock`).
    public var writerLock: Bool

    public init(kind: Kind, db: String, sync: String, count: Int = 0, batch: Int = 1,
                rate: Double? = nil, seconds: Double? = nil, queue: String = "bench", writerLock: Bool = false) {
        self.kind = kind
        self.db = db
        self.sync = sync
        self.count = count
        self.batch = batch
        self.rate = rate
        self.seconds = seconds
        self.queue = queue
        self.writerLock = writerLock
    }
}

/// What a role measured, printed by the child as `result JSON`.
public struct RoleReport: Codable, Sendable {
    /// Monotonic nanoseconds when timing started and ended.
    public var start: UInt64
    public var end: UInt64
    /// Operations completed (messages put or received, round trips).
    public var count: Int
    /// Per-operation latencies in microseconds, for latency roles.
    public var samples: [UInt64]
    /// CPU time used while timed, in microseconds (idle role).
    public var cpuMicroseconds: UInt64?
}
