import FoundationEssentials

/// What `dq doctor` found about a store: one finding per check, made by
/// `Doctor.examine(path:)`.
///
/// For example:
///
/// ```swift
/// let diagnosis = Doctor.examine(path: "/tmp/jobs.db")
/// if diagnosis.severity == .problem { print(diagnosis.findings.map(\.detail)) }
/// ```
public struct Diagnosis: Sendable {
    /// How bad a finding is: `ok`, `warning` (works, but needs a look), or `problem`
    /// (the store is missing, unusable or damaged). The raw values are the names.
    ///
    /// For example:
    ///
    /// ```swift
    /// let worst = Doctor.examine(path: "/tmp/jobs.db").severity.rawValue
    /// ```
    public enum Severity: String, Sendable {
        /// Nothing to do.
        case ok
        /// Worth a look, but the store works (for example dead letters are waiting).
        case warning
        /// The store is damaged, foreign, or cannot be used where it is.
        case problem
    }

    /// One check and its outcome.
    ///
    /// For example:
    ///
    /// ```swift
    /// for finding in diagnosis.findings { print("\(finding.check): \(finding.detail)") }
    /// ```
    public struct Finding: Sendable {
        /// What was checked: `filesystem`, `store`, `integrity`, `schema`, `size`,
        /// `free pages`, `leases` or `dead letters`; on PostgreSQL `server`, `schema`,
        /// `integrity`, `leases`, `dead letters`, `size` and `bloat`.
        public let check: String
        /// How bad the outcome is.
        public let severity: Severity
        /// The outcome in one line, for a person.
        public let detail: String
        /// The outcome's numbers, for a program: `version` (schema), `db_bytes`,
        /// `pages`, `page_size`, `wal_bytes` (size), `free_pages` (free pages), `leased`
        /// and `past_lease` (leases), `dead` (dead letters); on PostgreSQL also
        /// `server_version_num` (server), `dead_tuples` and `live_tuples` (bloat); empty
        /// for other checks.
        public let values: [String: Int64]
    }

    /// The store path examined, as given (a PostgreSQL address without its password).
    public let path: String
    /// The checks' outcomes, in the order they ran.
    public internal(set) var findings: [Finding] = []
    /// Why the store could not be opened at all (missing, a directory, not a dq store,
    /// on a network filesystem), if that is the case; its kind is what any other use of
    /// the store would have failed with.
    public internal(set) var failure: DQError?

    /// The worst severity found.
    public var severity: Severity {
        if findings.contains(where: { $0.severity == .problem }) { return .problem }
        return findings.contains(where: { $0.severity == .warning }) ? .warning : .ok
    }

    /// An empty diagnosis of the store at `path` (a PostgreSQL address without its password).
    package init(path: String) {
        self.path = path
    }

    /// Records the outcome of `check`.
    package mutating func add(_ check: String, _ severity: Severity, _ detail: String, values: [String: Int64] = [:]) {
        findings.append(Finding(check: check, severity: severity, detail: detail, values: values))
    }

    /// Records that the store could not be opened, as a `problem` finding of `check`.
    package mutating func fail(_ check: String, _ error: DQError) {
        add(check, .problem, error.message)
        failure = failure ?? error
    }
}

/// Health checks of a store: filesystem, integrity, schema, sizes, leases, dead letters.
///
/// For example:
///
/// ```swift
/// let diagnosis = Doctor.examine(path: "/tmp/jobs.db")
/// ```
public enum Doctor {
    /// Filesystems on which WAL mode is unsafe or broken (no shared memory across hosts,
    /// or locks that lie): network and FUSE filesystems.
    static let unsafeFilesystems = ["nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "9p", "afs", "ceph", "glusterfs", "sshfs", "davfs", "vboxsf"]

    /// Whether `type` (as `/proc/self/mounts` names it) cannot hold a WAL-mode store:
    /// a network filesystem (`nfs`, `cifs`, `9p`, …) or any FUSE one.
    ///
    /// For example:
    ///
    /// ```swift
    /// let unsafe = Doctor.isUnsafe(filesystem: "nfs4")   // true
    /// ```
    public static func isUnsafe(filesystem type: String) -> Bool {
        unsafeFilesystems.contains(type) || type.hasPrefix("fuse")
    }

    /// Examines the store at `path` without changing its messages or shared state (only
    /// an older schema is upgraded, as by any dq that opens it). A file that cannot be
    /// opened as a dq store is a finding, not an error.
    ///
    /// Opens the store like `Store.init(path:options:)` with `StoreAccess.existing`
    /// (which may migrate an older schema, and only reads a store this process may not
    /// write) and reads the whole file for `PRAGMA integrity_check`; other processes
    /// keep working meanwhile.
    ///
    /// For example:
    ///
    /// ```swift
    /// for finding in Doctor.examine(path: "/tmp/jobs.db").findings where finding.severity != .ok {
    ///     print(finding.check, finding.detail)
    /// }
    /// ```
    public static func examine(path: String) -> Diagnosis {
        var diagnosis = Diagnosis(path: path)
        guard !path.isEmpty else {
            diagnosis.fail("store", DQError(.invalidArgument, "the store path is empty"))
            return diagnosis
        }
        let exists = FileManager.default.fileExists(atPath: path)
        let type = StoreLocation.filesystemType(of: exists ? path : StoreLocation.directory(of: path))
        if let type, isUnsafe(filesystem: type) {
            diagnosis.fail("filesystem", DQError(.storeUnavailable, "\(type): WAL needs a local filesystem (not a network or FUSE one); move the store"))
        } else {
            diagnosis.add("filesystem", .ok, type ?? "unknown")
        }
        guard exists else {
            diagnosis.fail("store", StoreLocation.noStore(path))
            return diagnosis
        }
        let store: SQLiteEngine
        do { store = try SQLiteEngine(path: path, options: StoreOptions(access: .existing)) } catch {
            diagnosis.fail("store", error)
            return diagnosis
        }
        do {
            let integrity = try store.integrityCheck()
            diagnosis.add("integrity", integrity == "ok" ? .ok : .problem,
                          integrity == "ok" ? "ok" : integrity.split(separator: "\n").prefix(5).joined(separator: "; "))
            let (version, pages) = try store.withConnection { connection in
                (try connection.scalarInt("PRAGMA user_version") ?? 0, try SQLiteEngine.pages(connection))
            }
            diagnosis.add("schema", .ok, "version \(version)", values: ["version": version])
            let wal = StoreLocation.fileSize(path + "-wal")
            let size = StoreLocation.fileSize(path)
            diagnosis.add("size", .ok, "db \(size) bytes (\(pages.count) pages of \(pages.size)), wal \(wal) bytes",
                          values: ["db_bytes": size, "pages": Int64(pages.count), "page_size": Int64(pages.size), "wal_bytes": wal])
            let freeShare = pages.count > 0 ? Double(pages.free) / Double(pages.count) : 0
            let manyFree = pages.free > 1_000 && freeShare > 0.5
            diagnosis.add("free pages", manyFree ? .warning : .ok,
                          "\(pages.free) free (\(Int(freeShare * 100))%)" + (manyFree ? "; dq reclaims them when queues drain" : ""),
                          values: ["free_pages": Int64(pages.free)])
            let stats = try store.stats()
            let stuck = try store.read { try MessageTable.expiredLeases($0, now: Timestamp.now()) }
            let leased = stats.queues.reduce(0) { $0 + $1.leased }
            diagnosis.add("leases", stuck > 0 ? .warning : .ok,
                          "\(leased) leased, \(stuck) past their lease (delivered again at the next get)",
                          values: ["leased": Int64(leased), "past_lease": Int64(stuck)])
            let dead = stats.queues.filter { $0.dead > 0 }.map { "\($0.name): \($0.dead)" }
            diagnosis.add("dead letters", dead.isEmpty ? .ok : .warning, dead.isEmpty ? "none" : dead.joined(separator: ", "),
                          values: ["dead": Int64(stats.queues.reduce(0) { $0 + $1.dead })])
        } catch {
            diagnosis.add("store", .problem, error.message)
        }
        return diagnosis
    }
}
