import ArgumentParser
import Foundation
import Testing
@testable import OSGCommands

@Suite("osg submit --wait and osg logs --follow follow a job to its end; osg account shows the signer's credits")
struct FollowJobCommandTests {
    /// A spec file running `command` in the sandbox (one simulated H100, 1 core, 1 GiB).
    static func specFile(_ name: String, command: String) throws -> String {
        let path = temporaryPath("\(name).json")
        try Data(AgentNetwork.spec(name, command: command)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("--wait returns once the job completed (its output followed), exits 1 when it failed; logs --follow ends with the job",
          .enabled(if: AgentNetwork.enabled))
    func followsToTheEnd() async throws {
        try #require(AgentNetwork.sandboxAvailable, "bubblewrap cannot create sandboxes here (CI must be able to): apt-get install bubblewrap")
        try await AgentNetwork.with(regions: ["eu"]) { network in
            let keyPath = temporaryPath("tenant.key")
            try KeyFile.generate().write(to: keyPath)
            let client = ["--coordinator", network.url, "--key", keyPath]
            var faucet = try OSGCommand.parseAsRoot(["faucet", "100"] + client) as! AsyncParsableCommand
            try await faucet.run()
            var account = try OSGCommand.parseAsRoot(["account", "--json"] + client) as! AsyncParsableCommand
            try await account.run()

            let clock = ContinuousClock()
            let started = clock.now
            var ok = try OSGCommand.parseAsRoot(["submit", try Self.specFile("ok", command: "echo one; sleep 1; echo two"), "--wait", "--timeout", "60"] + client)
                as! AsyncParsableCommand
            try await ok.run()
            #expect(started.duration(to: clock.now) >= .seconds(1), "it waited for the job")

            var failing = try OSGCommand.parseAsRoot(["submit", try Self.specFile("bad", command: "echo oops; exit 3"), "--wait", "--timeout", "60"] + client)
                as! AsyncParsableCommand
            await #expect(throws: ExitCode(1)) { try await failing.run() }

            var short = try OSGCommand.parseAsRoot(["submit", try Self.specFile("slow", command: "sleep 3"), "--wait", "--timeout", "1"] + client)
                as! AsyncParsableCommand
            await #expect(throws: (any Error).self, "a job that outlasts --timeout is left running, and the command says so") { try await short.run() }

            let tenant = CoordinatorClient(baseURL: network.url, key: try KeyFile.read(from: keyPath).privateKey)
            let answer = try await tenant.send(.POST, "/v1/jobs", body: AgentNetwork.spec("follow", command: "for i in 1 2 3; do echo line $i; sleep 0.5; done"))
            let job = try #require((answer.json as? [String: Any])?["job"] as? String)
            var follow = try OSGCommand.parseAsRoot(["logs", job, "--follow"] + client) as! AsyncParsableCommand
            try await follow.run()
            let view = try #require(try await tenant.send(.GET, "/v1/jobs/\(job)").json as? [String: Any])
            #expect(view["status"] as? String == "completed", "--follow returned when the job ended: \(view)")
            var both = try OSGCommand.parseAsRoot(["logs", job, "--follow", "--json"] + client) as! AsyncParsableCommand
            await #expect(throws: (any Error).self, "--follow does not combine with --json") { try await both.run() }
        }
    }
}
