// swift-tools-version: 6.1
// Benchmarks live in their own package so the main build and CI tests do not compile
// ordo-one/benchmark. Run from this folder:
//   swift package benchmark                       # all suites
//   swift package benchmark --target LedgerBenchmarks
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which depends on where the project is
// checked out; derive it instead of assuming one.
let projectIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let benchmarkDependencies: [Target.Dependency] = [.product(name: "Benchmark", package: "package-benchmark")]
let benchmarkPlugins: [Target.PluginUsage] = [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]

let package = Package(
    name: "OpenStargateBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "LedgerBenchmarks",
            dependencies: benchmarkDependencies + [
                .product(name: "OSGLedger", package: projectIdentity),
                .product(name: "OSGStore", package: projectIdentity),
            ],
            path: "Benchmarks/LedgerBenchmarks",
            plugins: benchmarkPlugins
        ),
        .executableTarget(
            name: "LogBenchmarks",
            dependencies: benchmarkDependencies + [
                .product(name: "OSGLog", package: projectIdentity),
                .product(name: "OSGCore", package: projectIdentity),
                .product(name: "OSGStore", package: projectIdentity),
                .product(name: "OSGTransparency", package: projectIdentity),
            ],
            path: "Benchmarks/LogBenchmarks",
            plugins: benchmarkPlugins
        ),
        .executableTarget(
            name: "MarketBenchmarks",
            dependencies: benchmarkDependencies + [
                .product(name: "OSGMarket", package: projectIdentity),
                .product(name: "OSGDomain", package: projectIdentity),
            ],
            path: "Benchmarks/MarketBenchmarks",
            plugins: benchmarkPlugins
        ),
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: benchmarkDependencies + [
                .product(name: "OSGCore", package: projectIdentity),
                .product(name: "OSGSpec", package: projectIdentity),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: benchmarkPlugins
        ),
    ],
    swiftLanguageModes: [.v6]
)
