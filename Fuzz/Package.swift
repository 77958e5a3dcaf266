// swift-tools-version: 6.1
// libFuzzer targets for every decoder of untrusted bytes (docs/FUZZING.md). A package of its own
// so the main build never compiles with the sanitizers. Build and run from the project root:
//   scripts/fuzz.sh                # every target, 20 s each, over Fuzz/Corpus
//   scripts/fuzz.sh 60 FuzzWitness # one target for 60 s
// by hand: swift build --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which depends on where the project is
// checked out; derive it instead of assuming one.
let projectIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

func project(_ name: String) -> Target.Dependency { .product(name: name, package: projectIdentity) }

/// One fuzz target: an executable whose entry point is libFuzzer's.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies)
}

let package = Package(
    name: "OpenStargateFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [project("OSGLog"), crypto]),
        fuzzTarget("FuzzLeafCodec", [project("OSGCore"), project("OSGDomain"), crypto]),
        fuzzTarget("FuzzStateSnapshot", [project("OSGCore"), crypto]),
        fuzzTarget("FuzzSignedNotes", [project("OSGLog")]),
        fuzzTarget("FuzzTiles", [project("OSGLog"), project("OSGCore")]),
        fuzzTarget("FuzzWitness", [project("OSGLog"), project("OSGTransparency")]),
        fuzzTarget("FuzzJobSpecs", [project("OSGSpec"), project("OSGDomain")]),
        fuzzTarget("FuzzSignedRequests", [project("OSGAuth"), project("OSGDomain"), crypto]),
        fuzzTarget("FuzzRequestBodies", [project("OSGRequestBodies"), project("OSGCore"), project("OSGDomain")]),
        fuzzTarget("FuzzMarketSnapshot", [project("OSGMarketIO"), project("OSGMarket")]),
    ],
    swiftLanguageModes: [.v6]
)
