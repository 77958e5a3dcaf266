import ArgumentParser
import Foundation
import OSGDomain
import OSGServer
import Testing
@testable import OSGCommands

@Suite("Governance verbs: osg pools define, osg grants add and list, osg carbon load and list")
struct GovernanceCommandTests {
    /// A coordinator governed by `governance`, whose reads show every write at once.
    static func configure(_ configuration: inout ServerConfiguration, governance: KeyFile) {
        configuration.governanceKey = governance.privateKey
        configuration.publicCacheMilliseconds = 0
        configuration.readCopyMilliseconds = 0
    }

    static func run(_ arguments: [String]) async throws {
        var command = try OSGCommand.parseAsRoot(arguments) as! AsyncParsableCommand
        try await command.run()
    }

    @Test("governance defines a pool and grants a newcomer GPU-hours; the public views show them; others are refused; bad flags are named")
    func poolsAndGrants() async throws {
        let governance = KeyFile.generate()
        let governancePath = temporaryPath("governance.key")
        try governance.write(to: governancePath)
        let strangerPath = temporaryPath("stranger.key")
        try KeyFile.generate().write(to: strangerPath)
        let newcomer = Identity(publicKey: KeyFile.generate().privateKey.publicKey)
        try await LoopbackCoordinator.run(configure: { Self.configure(&$0, governance: governance) }) { port in
            let url = "http://127.0.0.1:\(port)"
            let asGovernance = ["--coordinator", url, "--key", governancePath]
            try await Self.run(["pools", "define", "students", "--share-ppm", "100000", "--price", "0.5"] + asGovernance)
            try await Self.run(["grants", "add", "students", newcomer.id, "--gpu-hours", "500", "--until", "90d"] + asGovernance)
            await #expect(throws: (any Error).self, "only governance grants") {
                try await Self.run(["grants", "add", "students", newcomer.id, "--gpu-hours", "5", "--until", "1d", "--coordinator", url, "--key", strangerPath])
            }
            await #expect(throws: (any Error).self, "an --until in the past is refused before anything is sent") {
                try await Self.run(["grants", "add", "students", newcomer.id, "--gpu-hours", "5", "--until", "2020-01-01T00:00:00Z"] + asGovernance)
            }
            #expect(throws: (any Error).self, "--gpu-hours 0 is refused at parsing") {
                _ = try OSGCommand.parseAsRoot(["grants", "add", "students", newcomer.id, "--gpu-hours", "0", "--until", "1d"])
            }
            let client = CoordinatorClient(baseURL: url, key: nil)
            let pools = try #require((try await client.send(.GET, "/v1/set-asides").json as? [String: Any])?["pools"] as? [[String: Any]])
            #expect(pools.count == 1 && pools[0]["name"] as? String == "students")
            #expect(pools[0]["grants"] as? Int == 1 && pools[0]["quota_gpu_seconds"] as? Int == 500 * 3_600)
            try await Self.run(["grants", "--coordinator", url])
            try await Self.run(["pools", "--coordinator", url])
        }
    }

    @Test("osg carbon load records a file's hours as dated, in the log; osg carbon lists them; a bad file is named before anything is sent")
    func carbon() async throws {
        let governance = KeyFile.generate()
        let governancePath = temporaryPath("governance.key")
        try governance.write(to: governancePath)
        // Three hours of zone NO, the current hour among them.
        let nowHour = WallClock.now().secondsSinceEpoch / 3_600
        let header = "Datetime (UTC),Zone Id,Carbon Intensity gCO\u{2082}eq/kWh (direct)"
        let rows = (0..<3).map { offset -> String in
            let time = Timestamp(secondsSinceEpoch: (nowHour - 1 + Int64(offset)) * 3_600).description
            let text = time.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
            return "\(text),NO,\(20 + offset).5"
        }
        let file = temporaryPath("NO_2026_hourly.csv")
        try ([header] + rows).joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let bad = temporaryPath("ES_2026_hourly.csv")
        try "Datetime (UTC),Zone Id\n2026-01-01 00:00:00,ES\n".write(toFile: bad, atomically: true, encoding: .utf8)
        try await LoopbackCoordinator.run(configure: { Self.configure(&$0, governance: governance) }) { port in
            let url = "http://127.0.0.1:\(port)"
            await #expect(throws: (any Error).self, "a file without the intensity column is refused") {
                try await Self.run(["carbon", "load", bad, "--coordinator", url, "--key", governancePath])
            }
            try await Self.run(["carbon", "load", file, "--coordinator", url, "--key", governancePath])
            let client = CoordinatorClient(baseURL: url, key: nil)
            // The coordinator reads "now" from the wall clock when it answers: the run may cross
            // an hour boundary after the file was written, and then the next row is current.
            let hourBefore = WallClock.now().secondsSinceEpoch / 3_600
            let zones = try #require((try await client.send(.GET, "/v1/carbon").json as? [String: Any])?["zones"] as? [[String: Any]])
            let hourAfter = WallClock.now().secondsSinceEpoch / 3_600
            #expect(zones.map { $0["zone"] as? String } == ["NO"] && zones[0]["hours"] as? Int == 3)
            // Row `offset` holds hour nowHour - 1 + offset at 20 + offset + 0.5 g/kWh.
            let expected = Set([hourBefore, hourAfter].map { "\(20 + $0 - nowHour + 1).500" })
            #expect(hourAfter - nowHour <= 1, "the test ran within the file's hours")
            #expect(expected.contains(zones[0]["now_g_per_kwh"] as? String ?? ""), "\(zones), expected one of \(expected)")
            try await Self.run(["carbon", "--coordinator", url])
        }
    }
}

