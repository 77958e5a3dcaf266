// swift-tools-version: 6.1
// OpenStargate: one package, one binary `osg`.
// Targets are split by dependency weight (see docs/ARCHITECTURE.md): the pure core
// (domain, market, ledger, state machine, log) needs nothing heavier than swift-crypto.
import PackageDescription

let package = Package(
    name: "OpenStargate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "osg", targets: ["osg"]),
        // The auditor alone (`osg audit` without the coordinator): no database driver, no HTTP
        // server. `swift build -c release --product osg-audit`.
        .executable(name: "osg-audit", targets: ["osg-audit"]),
        // Libraries, for the Benchmarks package and for embedding the core elsewhere.
        .library(name: "OSGDomain", targets: ["OSGDomain"]),
        .library(name: "OSGSpec", targets: ["OSGSpec"]),
        .library(name: "OSGCore", targets: ["OSGCore"]),
        .library(name: "OSGLedger", targets: ["OSGLedger"]),
        .library(name: "OSGLog", targets: ["OSGLog"]),
        .library(name: "OSGStore", targets: ["OSGStore"]),
        .library(name: "OSGAuth", targets: ["OSGAuth"]),
        .library(name: "OSGMarket", targets: ["OSGMarket"]),
        .library(name: "OSGMarketIO", targets: ["OSGMarketIO"]),
        .library(name: "OSGCarbon", targets: ["OSGCarbon"]),
        .library(name: "OSGSim", targets: ["OSGSim"]),
        .library(name: "OSGTransparency", targets: ["OSGTransparency"]),
        .library(name: "OSGRequestBodies", targets: ["OSGRequestBodies"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        // Already in the graph through postgres-nio, async-http-client and hummingbird; named
        // here for the TLS configuration types the store, server and client use directly.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
    ],
    targets: [
        // Pure domain model: identities, money, resources, nodes, job specs, orders, leases.
        .target(
            name: "OSGDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The deterministic state machine: commands in, events out; the replayable log.
        .target(
            name: "OSGCore",
            dependencies: ["OSGDomain", "OSGMarket", "OSGCarbon", "OSGLedger", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Durable storage: the command log and the ledger journal in SQLite (GRDB, default) or
        // PostgreSQL (postgres-nio), with in-memory fakes.
        .target(
            name: "OSGStore",
            dependencies: [
                "OSGCore", "OSGLedger",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Job spec text (YAML or JSON) to typed specs, with located problems.
        .target(
            name: "OSGSpec",
            dependencies: ["OSGDomain", .product(name: "Yams", package: "Yams")]
        ),
        // Double-entry ledger (TigerBeetle-style): pure; the domain only for its seeded
        // generator, swift-collections for the expiry heap, swift-crypto for the state digest.
        .target(
            name: "OSGLedger",
            dependencies: [
                "OSGDomain",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Request authentication: Ed25519 signatures over method, path, body digest, timestamp
        // and nonce; replay refusal with bounded memory. Pure (time is an argument).
        .target(
            name: "OSGAuth",
            dependencies: [
                "OSGDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // Transparency log: RFC 6962 Merkle tree and proofs, C2SP checkpoints,
        // signed notes and tiles. Pure (no clock; file I/O only in TileDirectory.swift).
        .target(
            name: "OSGLog",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The published transparency log: the writer that turns durable command-log appends
        // into C2SP tiles, entry bundles, signed checkpoints and the published state (file I/O
        // only in TransparencyLogFiles.swift), and the auditor that replays them. Reads the command
        // log through OSGCore's CommandLogStore protocol, so the auditor builds without the
        // database drivers (OSGStore) or the HTTP server (OSGServer).
        .target(
            name: "OSGTransparency",
            dependencies: ["OSGCore", "OSGLog", "OSGDomain"]
        ),
        // The auditor's command line (`osg audit`, and the `osg-audit` binary) with the HTTP(S)
        // log source and the CLI's TLS trust: an HTTP client, no server, no database.
        .target(
            name: "OSGAuditTool",
            dependencies: [
                "OSGTransparency", "OSGLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(name: "osg-audit", dependencies: ["OSGAuditTool"]),
        // Carbon-aware placement: hourly grid carbon series (Electricity Maps CSV), the shift
        // planner and the deferral-saving experiment. Pure (file I/O only in
        // CarbonAtlas+Directory.swift).
        .target(name: "OSGCarbon", dependencies: ["OSGDomain"]),
        // The market: deterministic frequent-batch-auction clearing over free capacity.
        .target(name: "OSGMarket", dependencies: ["OSGDomain", "OSGCarbon"]),
        // The market's text formats (DESIGN.md §4, a contract): the snapshot reader (JSON through
        // Yams, exact decimals; job specs through OSGSpec) and the clearing's JSON and table
        // output, shared by `osg market clear` and the market tests.
        .target(
            name: "OSGMarketIO",
            dependencies: ["OSGDomain", "OSGMarket", "OSGCarbon", "OSGSpec", .product(name: "Yams", package: "Yams")]
        ),
        // The discrete-event simulator (DESIGN.md §10): drives the real market, ledger and log
        // over trace-based workloads and real carbon series. File I/O only in the loaders'
        // +File extensions and BundledData.swift.
        .target(
            name: "OSGSim",
            dependencies: [
                "OSGDomain", "OSGMarket", "OSGCarbon", "OSGLedger", "OSGLog", "OSGCore", "OSGStore",
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            resources: [.copy("Resources")]
        ),
        // The coordinator API's write bodies: strict JSON decoding (unknown fields, wrong types,
        // bounds) with the API's errors, and no HTTP server, so they can be fuzzed and reused.
        .target(
            name: "OSGRequestBodies",
            dependencies: ["OSGDomain", "OSGCore", "OSGSpec", "OSGAuth", .product(name: "Crypto", package: "swift-crypto"), .product(name: "HTTPTypes", package: "swift-http-types")]
        ),
        // The coordinator service (`osg serve`): HTTP API, single-writer command pipeline,
        // read models over the state, metrics and the served transparency-log directory.
        .target(
            name: "OSGServer",
            dependencies: [
                "OSGDomain", "OSGCore", "OSGStore", "OSGAuth", "OSGSpec", "OSGLedger", "OSGMarket", "OSGLog",
                "OSGTransparency", "OSGCarbon", "OSGRequestBodies",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Resources/openapi.json"), .copy("Resources/dashboard")]
        ),
        // The provider agent (DESIGN.md §8): hardware discovery, the host benchmark, the
        // executors that run leases (bubblewrap sandbox, Slurm) and the agent's loop, which
        // talks to the coordinator through a protocol (the HTTP client lives in OSGCommands).
        .target(
            name: "OSGAgent",
            dependencies: ["OSGDomain", .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // CLI verbs as a library so tests can run them in-process.
        .target(
            name: "OSGCommands",
            dependencies: [
                "OSGDomain",
                "OSGSpec",
                "OSGCore",
                "OSGLedger",
                "OSGStore",
                "OSGLog",
                "OSGMarket",
                "OSGMarketIO",
                "OSGCarbon",
                "OSGSim",
                "OSGTransparency",
                "OSGAuditTool",
                "OSGServer",
                "OSGAuth",
                "OSGAgent",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The `osg` binary: a thin @main.
        .executableTarget(name: "osg", dependencies: ["OSGCommands"]),
        .testTarget(name: "OSGDomainTests", dependencies: ["OSGDomain"]),
        .testTarget(name: "OSGCoreTests", dependencies: ["OSGCore", "OSGLedger", "OSGMarket"]),
        .testTarget(name: "OSGAuthTests", dependencies: ["OSGAuth"]),
        .testTarget(name: "OSGAgentTests", dependencies: ["OSGAgent", "OSGDomain"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OSGStoreTests", dependencies: ["OSGStore", "OSGCore", "OSGLedger", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "OSGCommandsTests",
            dependencies: ["OSGCommands", "OSGAuditTool", "OSGServer", "OSGStore", "OSGAgent", "OSGSpec", "OSGMarketIO", .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "HummingbirdTesting", package: "hummingbird")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "OSGServerTests",
            dependencies: [
                "OSGServer", "OSGAuth", "OSGCore", "OSGStore", "OSGDomain", "OSGTransparency", "OSGRequestBodies",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "OSGMarketTests",
            dependencies: ["OSGMarket", "OSGMarketIO", "OSGCarbon", "OSGSpec", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "OSGCarbonTests", dependencies: ["OSGCarbon", "OSGDomain"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OSGSpecTests", dependencies: ["OSGSpec", "OSGDomain", .product(name: "Yams", package: "Yams")], resources: [.copy("Fixtures")]),
        .testTarget(name: "OSGLedgerTests", dependencies: ["OSGLedger", "OSGDomain"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OSGLogTests", dependencies: ["OSGLog", "OSGDomain"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OSGSimTests", dependencies: ["OSGSim", "OSGCarbon", "OSGDomain", "OSGCore", "OSGStore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OSGTransparencyTests", dependencies: ["OSGTransparency", "OSGCore", "OSGLog", "OSGStore", "OSGDomain"]),
    ],
    swiftLanguageModes: [.v6]
)
