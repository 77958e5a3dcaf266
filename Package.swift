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
        // Transparency log: RFC 6962 Merkle tree and proofs, C2SP checkpoints,
        // signed notes and tiles. Pure (no clock; file I/O only in TileDirectory.swift).
        .target(
            name: "OSGLog",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // CLI verbs as a library so tests can run them in-process.
        .target(
            name: "OSGCommands",
            dependencies: [
                "OSGDomain",
                "OSGLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The `osg` binary: a thin @main.
        .executableTarget(name: "osg", dependencies: ["OSGCommands"]),
        .testTarget(name: "OSGDomainTests", dependencies: ["OSGDomain"]),
        .testTarget(name: "OSGLogTests", dependencies: ["OSGLog"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OSGCommandsTests", dependencies: ["OSGCommands"]),
    ],
    swiftLanguageModes: [.v6]
)
