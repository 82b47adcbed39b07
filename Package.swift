// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "dq",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DurableQueue", targets: ["DurableQueue"]),
        .library(name: "DurableQueuePostgres", targets: ["DurableQueuePostgres"]),
        .executable(name: "dq", targets: ["dq"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `swift package generate-documentation --target DurableQueue` (DocC).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // The PostgreSQL engine's client (DurableQueuePostgres only).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // `dq web` (DQWeb only): the HTTP server, and the Prometheus text format.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Only for dq-lifecycle-helper: the library does not depend on it.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // prctl and friends, which Glibc's Swift module does not import.
        .target(name: "CLinuxShims"),
        // The system layer: every system call dq makes, in typed wrappers (Errno,
        // FileDescriptor, Spawn, …). No other target imports Glibc or CLinuxShims.
        .target(name: "DQSystem", dependencies: ["CLinuxShims"]),
        .target(
            name: "DurableQueue",
            dependencies: [
                "CSQLite",
                "DQSystem",
                // Atomics on memory shared between processes (WaiterCounts).
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL engine (SPEC "Engines"), in a target of its own so that a program
        // that only wants the SQLite store does not link NIO.
        .target(
            name: "DurableQueuePostgres",
            dependencies: [
                "DurableQueue",
                "DQSystem",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `dq bench`: the standard workloads, their SQLite, PostgreSQL and kernel floors, and the
        // roles that benchmark child processes play.
        .target(
            name: "DQBench",
            dependencies: [
                "DurableQueue",
                "DurableQueuePostgres",
                "DQSystem",
                "CSQLite",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                // The PostgreSQL floors speak to the server through dq's own client.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `dq web`: the dashboard and /metrics, in a target of its own so that neither
        // library links Hummingbird.
        .target(
            name: "DQWeb",
            dependencies: [
                "DurableQueue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `dq torture`: producers and workers SIGKILLed at random, then a check that
        // nothing committed was lost.
        .target(
            name: "DQTorture",
            dependencies: ["DurableQueue", "DurableQueuePostgres", "DQSystem"]
        ),
        .executableTarget(
            name: "dq",
            dependencies: [
                "DurableQueue",
                "DurableQueuePostgres",
                "DQBench",
                "DQTorture",
                "DQWeb",
                "DQSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // One self-contained file (Swift runtime, SQLite and libc inside): no dynamic
            // loading or symbol binding at start, so a `dq put` from a shell starts in about
            // a millisecond instead of 5-14 (README, "One-shot commands"). Release builds only:
            // `swift test` links this module into its test runner, which cannot be static.
            swiftSettings: [.unsafeFlags(["-static-executable"], .when(configuration: .release))],
            linkerSettings: [.unsafeFlags(["-static-executable"], .when(configuration: .release))]
        ),
        // A small program the tests start as real producer and consumer processes.
        .executableTarget(
            name: "dq-test-helper",
            dependencies: ["DurableQueue", "DurableQueuePostgres"],
            path: "Tests/DQTestHelper"
        ),
        // Queue.work as a swift-service-lifecycle Service, stopped by SIGTERM (LifecycleTests).
        .executableTarget(
            name: "dq-lifecycle-helper",
            dependencies: [
                "DurableQueue",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/DQLifecycleHelper"
        ),
        // The Swift examples (examples/README.md).
        .executableTarget(
            name: "dq-example",
            dependencies: ["DurableQueue"],
            path: "examples/swift"
        ),
        .testTarget(
            name: "DurableQueueTests",
            dependencies: [
                "DurableQueue", "DurableQueuePostgres", "DQSystem", "dq", "dq-test-helper", "dq-lifecycle-helper", "dq-example",
                "CLinuxShims",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Logging", package: "swift-log"),
                // README's Swift snippets are compiled in this target (ReadmeSnippets.swift).
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Store files made by earlier versions, read by MigrationTests.
            exclude: ["Fixtures"]
        ),
    ]
)
