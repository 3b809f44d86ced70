// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "jobwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "jobwatch", targets: ["jobwatch"])
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Property-based tests of everything that parses or computes from outside input.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure domain: job model, status normalization, transition diffing, schedule maths. No I/O.
        .target(name: "JobwatchCore"),
        // The Huawei Cloud window: AK/SK signing, endpoints, the three job APIs, tolerant decoding, error classes.
        .target(
            name: "HuaweiCloud",
            dependencies: [
                "JobwatchCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The YAML configuration: lookup order, secrets, validation, redaction.
        .target(
            name: "JobwatchConfig",
            dependencies: [
                "JobwatchCore", "HuaweiCloud", "JobwatchWebhooks",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // SQLite through GRDB: schema, migrations, the poll transaction, the outbox.
        .target(
            name: "JobwatchStore",
            dependencies: [
                "JobwatchCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // PostgreSQL through postgres-nio: the same store for several daemons, with leases and LISTEN/NOTIFY.
        .target(
            name: "JobwatchPostgres",
            dependencies: [
                "JobwatchCore", "JobwatchConfig", "JobwatchStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The service: scheduler, poller, delivery, sinks, lifecycle, systemd notify.
        .target(
            name: "JobwatchDaemon",
            dependencies: [
                "JobwatchCore", "HuaweiCloud", "JobwatchConfig", "JobwatchStore", "JobwatchSystemd", "JobwatchWebhooks",
                "JobwatchMetrics",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Prometheus metrics (swift-metrics on a swift-prometheus registry) and the /metrics, /healthz server.
        .target(
            name: "JobwatchMetrics",
            dependencies: [
                "JobwatchCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A loopback imitation of the three Huawei Cloud job APIs, for the demo, the tests and the benchmarks.
        .target(
            name: "JobwatchSimulator",
            dependencies: [
                "JobwatchCore", "HuaweiCloud",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The command line: argument parsing, output formatting, exit codes.
        .target(
            name: "JobwatchCLI",
            dependencies: [
                "JobwatchCore", "JobwatchConfig", "JobwatchStore", "JobwatchPostgres", "JobwatchDaemon",
                "JobwatchSimulator", "JobwatchSystemd", "JobwatchWebhooks", "JobwatchMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // One webhook delivery attempt (request, signatures, chat formats, reply), the retry maths, and the
        // sink settings it consumes (the configuration builds them).
        .target(
            name: "JobwatchWebhooks",
            dependencies: [
                "JobwatchCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "jobwatch", dependencies: ["JobwatchCLI"]),
        // Benchmarks of the real daemon against the simulator on loopback (not part of the test run).
        .executableTarget(
            name: "jobwatch-bench",
            dependencies: [
                "HuaweiCloud", "JobwatchCore", "JobwatchStore", "JobwatchSimulator",
                // The `ha` scenario: a private PostgreSQL cluster (as the tests start it) and its store.
                "JobwatchPostgres", "JobwatchConfig", "PostgresTestCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A libFuzzer target for the cloud answer decoder (scripts/fuzz.sh); a normal build replays a corpus.
        .executableTarget(name: "jobwatch-fuzz", dependencies: ["HuaweiCloud", "JobwatchCore"]),
        // systemd integration: sd_notify over a datagram socket and a journald-friendly log handler.
        .target(name: "JobwatchSystemd", dependencies: [.product(name: "Logging", package: "swift-log")]),

        // What the test suites share: spawning the `jobwatch` binary in a sandbox, the simulated cloud with a
        // loopback webhook receiver, a notification socket, temporary files, a manual clock, captured logs.
        .target(
            name: "JobwatchTestKit",
            dependencies: [
                "JobwatchCore", "JobwatchSimulator",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/JobwatchTestKit"
        ),

        .testTarget(
            name: "JobwatchCoreTests",
            dependencies: ["JobwatchCore", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "JobwatchConfigTests", dependencies: ["JobwatchConfig", "JobwatchCore", "JobwatchTestKit"]),
        .testTarget(
            name: "JobwatchStoreTests",
            dependencies: [
                "JobwatchStore", "JobwatchCore", "JobwatchTestKit",
                // To change the database from another connection, as another process would.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // A private PostgreSQL 15 cluster (initdb/pg_ctl as the postgres user) on a random loopback port.
        .target(name: "PostgresTestCluster", path: "Tests/PostgresTestCluster"),
        .testTarget(
            name: "JobwatchPostgresTests",
            dependencies: [
                "JobwatchPostgres", "PostgresTestCluster", "JobwatchStore", "JobwatchConfig", "JobwatchCore",
                "JobwatchTestKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "JobwatchDaemonTests",
            dependencies: [
                "JobwatchDaemon", "JobwatchStore", "JobwatchConfig", "JobwatchCore", "JobwatchWebhooks",
                "JobwatchTestKit",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Spawns the real `jobwatch` binary (CLI and daemon) against the simulator and a loopback webhook receiver.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "jobwatch", "JobwatchSimulator", "JobwatchCore", "JobwatchStore", "JobwatchTestKit",
                "PostgresTestCluster",
                // To register hundreds of jobs at once on PostgreSQL (the CLI's path is tested one by one).
                "JobwatchPostgres", "JobwatchConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // To plant extreme values in a database as another program (or an old version) could.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "JobwatchSystemdTests",
            dependencies: ["JobwatchSystemd", "JobwatchTestKit", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "HuaweiCloudTests",
            dependencies: [
                "HuaweiCloud", "JobwatchCore", "JobwatchSimulator", "JobwatchTestKit",
                // The TLS tests' throwaway certificate authority.
                "PostgresTestCluster",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SimulatorTests",
            dependencies: [
                "JobwatchSimulator", "HuaweiCloud", "JobwatchCore", "JobwatchTestKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "JobwatchWebhooksTests",
            dependencies: [
                "JobwatchWebhooks", "JobwatchSimulator", "JobwatchCore", "JobwatchTestKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                // To check signatures independently of the code under test.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
