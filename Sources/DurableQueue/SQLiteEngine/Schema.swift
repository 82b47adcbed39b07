/// The store's tables, and bringing a file from any older schema to the current one.
///
/// The version lives in `PRAGMA user_version`; `PRAGMA application_id` marks the file
/// as a dq store, so dq never writes into another application's database.
/// The README's "Schema" section documents these tables for `sqlite3` users.
enum Schema {
    /// `PRAGMA application_id` of every dq store: the bytes "dq" followed by 0x5101.
    static let applicationID: Int64 = 0x6471_5101

    /// Every schema change, oldest first. Never edit a released step: add a new one.
    static let migrations: [Migration] = [
        Migration(version: 1, steps: .sql("""
            CREATE TABLE lanes (
                id       INTEGER PRIMARY KEY,
                queue    TEXT    NOT NULL,
                priority INTEGER NOT NULL,
                UNIQUE (queue, priority)
            ) STRICT;
            CREATE TABLE delayed (
                queue        TEXT    NOT NULL,
                available_at INTEGER NOT NULL,
                id           INTEGER NOT NULL,
                priority     INTEGER NOT NULL,
                enqueued_at  INTEGER NOT NULL,
                attempts     INTEGER NOT NULL DEFAULT 0,
                dedup_key    TEXT,
                body         BLOB    NOT NULL,
                PRIMARY KEY (queue, available_at, id)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE dead (
                queue       TEXT    NOT NULL,
                id          INTEGER NOT NULL,
                priority    INTEGER NOT NULL,
                enqueued_at INTEGER NOT NULL,
                attempts    INTEGER NOT NULL,
                died_at     INTEGER NOT NULL,
                body        BLOB    NOT NULL,
                PRIMARY KEY (queue, id)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE holders (
                id    INTEGER PRIMARY KEY,
                pid   INTEGER NOT NULL,
                since INTEGER NOT NULL
            ) STRICT;
            CREATE TABLE dict_items (
                dict    TEXT    NOT NULL,
                key     TEXT    NOT NULL,
                version INTEGER NOT NULL,
                value   BLOB    NOT NULL,
                PRIMARY KEY (dict, key)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE list_items (
                list     TEXT    NOT NULL,
                position INTEGER NOT NULL,
                value    BLOB    NOT NULL,
                PRIMARY KEY (list, position)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE counters (
                name  TEXT    NOT NULL PRIMARY KEY,
                value INTEGER NOT NULL
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE events (
                name   TEXT    NOT NULL PRIMARY KEY,
                is_set INTEGER NOT NULL
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE dedup (
                queue TEXT    NOT NULL,
                key   TEXT    NOT NULL,
                id    INTEGER NOT NULL,
                PRIMARY KEY (queue, key)
            ) STRICT, WITHOUT ROWID;
            """)),
        // One `messages` table for every queue instead of a table per lane; lanes become
        // ranges of positions in it, and a drained lane leaves no row (see `Lanes`).
        Migration(version: 2, steps: .sql("""
            CREATE TABLE messages (
                position    INTEGER PRIMARY KEY,
                id          INTEGER NOT NULL,
                enqueued_at INTEGER NOT NULL,
                attempts    INTEGER NOT NULL DEFAULT 0,
                lease_until INTEGER,
                receipt     INTEGER,
                holder      INTEGER,
                dedup_key   TEXT,
                body        BLOB    NOT NULL
            ) STRICT;
            ALTER TABLE lanes RENAME TO lanes_v1;
            CREATE TABLE lanes (
                lane       INTEGER PRIMARY KEY,
                queue      TEXT    NOT NULL,
                priority   INTEGER NOT NULL,
                generation INTEGER NOT NULL,
                UNIQUE (queue, priority DESC, generation)
            ) STRICT;
            """), .swift(LaneTablesMigration.moveIntoMessages), .sql("DROP TABLE lanes_v1;")),
        // Dead letters keep why they died: the last delivery's error, and the exit status
        // or signal of the command that failed. Older dead letters have none (NULL).
        Migration(version: 3, steps: .sql("""
            ALTER TABLE dead ADD COLUMN last_error TEXT;
            ALTER TABLE dead ADD COLUMN exit_status INTEGER;
            ALTER TABLE dead ADD COLUMN signal INTEGER;
            """)),
        // A request (`Queue.call`) names the queue its reply goes to.
        Migration(version: 4, steps: .sql("""
            ALTER TABLE messages ADD COLUMN reply_to TEXT;
            ALTER TABLE delayed ADD COLUMN reply_to TEXT;
            """)),
        // Schedules: each puts `body` on `queue` at the ticks of `rule`, the next at `next_due`.
        // Work limits: `running` has a row per lease taken under a running limit, `rates`
        // each rate-limited queue's next start. A dedup key may be held only until its
        // message is first delivered (`until_started`).
        Migration(version: 5, steps: .sql("""
            CREATE TABLE schedules (
                name       TEXT    NOT NULL PRIMARY KEY,
                queue      TEXT    NOT NULL,
                rule       TEXT    NOT NULL,
                body       BLOB    NOT NULL,
                next_due   INTEGER NOT NULL,
                last_fired INTEGER
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX schedules_due ON schedules (next_due);
            CREATE TABLE running (
                queue    TEXT    NOT NULL,
                position INTEGER NOT NULL,
                receipt  INTEGER NOT NULL,
                PRIMARY KEY (queue, position)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE rates (
                queue      TEXT    NOT NULL PRIMARY KEY,
                next_start INTEGER NOT NULL
            ) STRICT, WITHOUT ROWID;
            ALTER TABLE dedup ADD COLUMN until_started INTEGER NOT NULL DEFAULT 0;
            """)),
        // Streams: each stream's number and name, the log (one rowid table for every
        // stream, each stream in a range of rowids: id << 36 | seq, so an append is a seek to
        // its range's end and an insert into one b-tree), and the consumer groups with the
        // hidden queue each group's copies go to.
        Migration(version: 6, steps: .sql("""
            CREATE TABLE streams (
                name     TEXT    NOT NULL PRIMARY KEY,
                id       INTEGER NOT NULL UNIQUE,
                last_seq INTEGER NOT NULL
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE stream_entries (
                entry        INTEGER PRIMARY KEY,
                published_at INTEGER NOT NULL,
                dedup_key    TEXT,
                body         BLOB    NOT NULL
            ) STRICT;
            CREATE INDEX stream_keys ON stream_entries (dedup_key, entry) WHERE dedup_key IS NOT NULL;
            CREATE TABLE stream_groups (
                stream     TEXT    NOT NULL,
                grp        TEXT    NOT NULL,
                queue      TEXT    NOT NULL,
                start_seq  INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (stream, grp)
            ) STRICT, WITHOUT ROWID;
            """)),
    ]

    static var currentVersion: Int64 { migrations.last?.version ?? 0 }
}

/// One step of the schema: what takes a store from `version - 1` to `version`.
struct Migration: Sendable {
    /// Part of a migration: SQL, or Swift for what SQL alone cannot say (such as
    /// visiting tables whose names are data).
    enum Step: Sendable {
        case sql(String)
        case swift(@Sendable (Connection) throws -> Void)
    }

    let version: Int64
    let steps: [Step]

    init(version: Int64, steps: Step...) {
        self.version = version
        self.steps = steps
    }

    func run(on connection: Connection) throws {
        for step in steps {
            switch step {
            case .sql(let sql): try connection.execute(sql)
            case .swift(let body): try body(connection)
            }
        }
    }
}

/// Version 1 kept each lane in a table of its own (`lane_<n>`, listed in `lanes`):
/// moves their rows into `messages` (lane n keeps number n, its rows keep their order)
/// and drops the tables. Empty lanes are not carried over.
enum LaneTablesMigration {
    static func moveIntoMessages(_ connection: Connection) throws {
        let old = try connection.cachedStatement("SELECT id, queue, priority FROM lanes_v1 ORDER BY id")
        var lanes: [(number: Int64, queue: String, priority: Int)] = []
        while try old.step() { lanes.append((old.int64(at: 0), old.string(at: 1) ?? "", old.int(at: 2))) }
        old.reset()
        for lane in lanes {
            guard lane.number > 0 && lane.number < Lane.numberLimit else {
                throw DQError(.badStore, "\(connection.path): lane \(lane.number) cannot be migrated")
            }
            let range = Lane(number: lane.number, priority: lane.priority, generation: 0)
            let first = range.first
            try connection.execute("""
                INSERT INTO messages (position, id, enqueued_at, attempts, lease_until, receipt, holder, dedup_key, body)
                SELECT \(first) + row_number() OVER (ORDER BY id) - 1,
                       id, enqueued_at, attempts, lease_until, receipt, holder, dedup_key, body
                FROM lane_\(lane.number);
                DROP TABLE lane_\(lane.number);
                """)
            let insert = try connection.cachedStatement("""
                INSERT INTO lanes (lane, queue, priority, generation)
                SELECT ?1, ?2, ?3, 0 WHERE EXISTS (SELECT 1 FROM messages WHERE position BETWEEN ?4 AND ?5)
                """)
            defer { insert.reset() }
            try insert.bind(lane.number, at: 1)
            try insert.bind(lane.queue, at: 2)
            try insert.bind(lane.priority, at: 3)
            try insert.bind(first, at: 4)
            try insert.bind(range.last, at: 5)
            try insert.run()
        }
    }
}

/// Checks that a file is a dq store this build can read, and migrates it.
struct Migrator {
    let migrations: [Migration]
    let applicationID: Int64

    init(migrations: [Migration] = Schema.migrations, applicationID: Int64 = Schema.applicationID) {
        self.migrations = migrations
        self.applicationID = applicationID
    }

    var currentVersion: Int64 { migrations.last?.version ?? 0 }

    /// Refuses files that are not dq stores or are newer than this build, runs
    /// `configure` (connection settings such as the journal mode), then applies every
    /// missing migration in one `BEGIN IMMEDIATE` transaction: a failure leaves the
    /// file exactly as it was.
    ///
    /// - Throws: `DQError.badStore` for a foreign or newer file; `SQLiteError` for
    ///   SQLite failures (including `SQLITE_NOTADB` for a file that is not SQLite).
    func prepare(_ connection: Connection, version known: Int64? = nil, configure: () throws -> Void) throws {
        // Reading the header first: a foreign file fails here, before anything is written.
        let version = try known ?? connection.scalarInt("PRAGMA user_version") ?? 0
        try check(connection, version: version)
        if version < currentVersion,
           try (connection.scalarInt("SELECT count(*) FROM sqlite_schema") ?? 0) == 0 {
            // Only takes effect before the first table exists, outside a transaction,
            // and before the switch to WAL.
            try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        }
        try configure()
        if version == currentVersion { return }
        try connection.transaction(.immediate) {
            // Another process may have migrated while we waited for the write lock.
            let version = try connection.scalarInt("PRAGMA user_version") ?? 0
            try check(connection, version: version)
            for migration in migrations where migration.version > version {
                try migration.run(on: connection)
            }
            try connection.execute("PRAGMA application_id = \(applicationID); PRAGMA user_version = \(currentVersion)")
        }
    }

    func check(_ connection: Connection, version: Int64) throws {
        let path = connection.path
        if version > currentVersion {
            throw DQError(.badStore, "\(path) was written by a newer dq (schema version \(version); this dq knows up to \(currentVersion)): upgrade dq")
        }
        let id = try connection.scalarInt("PRAGMA application_id") ?? 0
        if id == applicationID { return }
        let hasTables = try (connection.scalarInt("SELECT count(*) FROM sqlite_schema") ?? 0) > 0
        if id != 0 || hasTables {
            throw DQError(.badStore, "\(path) is an SQLite database of another application, not a dq store")
        }
    }
}
