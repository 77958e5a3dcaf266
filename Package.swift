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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
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
            dependencies: ["OSGDomain", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Job spec text (YAML or JSON) to typed specs, with located problems.
        .target(
            name: "OSGSpec",
            dependencies: ["OSGDomain", .product(name: "Yams", package: "Yams")]
        ),
        // The market: deterministic frequent-batch-auction clearing over free capacity.
        .target(name: "OSGMarket", dependencies: ["OSGDomain"]),
        // CLI verbs as a library so tests can run them in-process.
        .target(
            name: "OSGCommands",
            dependencies: [
                "OSGDomain",
                "OSGSpec",
                "OSGCore",
                "OSGMarket",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The `osg` binary: a thin @main.
        .executableTarget(name: "osg", dependencies: ["OSGCommands"]),
        .testTarget(name: "OSGDomainTests", dependencies: ["OSGDomain"]),
        .testTarget(name: "OSGCoreTests", dependencies: ["OSGCore"]),
        .testTarget(name: "OSGCommandsTests", dependencies: ["OSGCommands"]),
        .testTarget(
            name: "OSGMarketTests",
            dependencies: ["OSGMarket", "OSGCommands", "OSGSpec", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "OSGSpecTests", dependencies: ["OSGSpec"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
