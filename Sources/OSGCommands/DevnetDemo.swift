import Foundation
import Logging
import OSGDomain

/// The sample jobs `osg devnet --demo` submits, one kind after another: each a real CPU job
/// (a shell loop printing progress) run in the agents' sandboxes.
enum DevnetJobKind: String, CaseIterable, Sendable {
    /// One GPU of any model, six progress lines.
    case single
    /// Two nodes with two A100-class GPUs each, started together.
    case gang
    /// The newcomer's job in the set-aside pool, at the pool's price.
    case setAside = "set-aside"
    /// A cheap, long job that a paying one may preempt (it bids 1 credit where others bid 3).
    case preemptible
    /// May wait up to 20 minutes for cleaner power; only zones under 100 gCO2/kWh.
    case carbonFlexible = "carbon-flexible"

    /// Whether the newcomer (rather than the demo tenant) submits it.
    var byNewcomer: Bool { self == .setAside }

    /// The job's spec as the API takes it (JSON), the `number`-th of the stream; `now` sets a deadline.
    func spec(number: Int, now: Timestamp) -> [String: Any] {
        func shell(_ script: String) -> [String] { ["/bin/sh", "-c", script] }
        var spec: [String: Any] = [
            "name": "demo-\(rawValue)-\(number)", "duration": "1m", "max_duration": "5m", "max_price": "3",
            "resources": ["gpu": ["model": "any", "count": 1], "cpu": 1, "memory_gib": 1],
        ]
        switch self {
        case .single:
            spec["command"] = shell(#"for step in 1 2 3 4 5 6; do echo "step $step/6: loss 0.$((90 - step * 12))"; sleep 4; done"#)
        case .gang:
            spec["nodes"] = 2
            spec["resources"] = ["gpu": ["model": "A100+", "count": 2], "cpu": 1, "memory_gib": 1]
            spec["command"] = shell(#"echo "gang member up: both nodes started together"; sleep 20; echo "all-reduce done""#)
        case .setAside:
            spec["class"] = "set-aside"
            spec["max_price"] = "1"
            spec["command"] = shell(#"echo "a newcomer's first job, at the pool's price"; sleep 15; echo done"#)
        case .preemptible:
            spec["class"] = "preemptible"
            spec["max_price"] = "1"
            spec["duration"] = "3m"
            spec["max_duration"] = "6m"
            spec["command"] = shell(#"i=0; while [ $i -lt 36 ]; do i=$((i + 1)); echo "batch $i/36 scored"; sleep 5; done"#)
        case .carbonFlexible:
            spec["carbon"] = ["max_gco2_per_kwh": 100, "shift": true]
            spec["deadline"] = now.adding(seconds: 20 * 60).description
            spec["command"] = shell(#"echo "ran while the grid was clean"; sleep 10; echo done"#)
        }
        return spec
    }
}

/// The demo's job stream: one job every `intervalSeconds`, kinds in turn, while the submitter
/// has fewer than ``maxUnfinished`` jobs pending or running (so the queue stays bounded however
/// long the devnet runs); the submitters' credits are topped up from the faucet as they go.
struct DevnetDemo: Sendable {
    var tenant: CoordinatorClient
    var newcomer: CoordinatorClient
    var intervalSeconds: Double
    var logger: Logger
    static let maxUnfinished = 6

    /// What one turn did.
    enum Turn: Equatable, Sendable {
        case submitted(kind: DevnetJobKind, job: String)
        case skipped(kind: DevnetJobKind, unfinished: Int)
    }

    /// Submits until cancelled; `report` hears each turn (a refusal is logged and the stream goes on).
    func run(startingAt first: Int = 1, report: @escaping @Sendable (Turn) -> Void) async {
        var number = first
        while !Task.isCancelled {
            let kind = DevnetJobKind.allCases[(number - 1) % DevnetJobKind.allCases.count]
            do {
                let turn = try await submit(kind, number: number, now: WallClock.now())
                report(turn)
                if case .submitted = turn { number += 1 }
            } catch {
                logger.warning("a demo job was not submitted", metadata: ["kind": "\(kind.rawValue)", "error": "\(error)"])
                number += 1
            }
            try? await Task.sleep(for: .milliseconds(Int64(intervalSeconds * 1_000)))
        }
    }

    /// One turn: submits the `number`-th job, of `kind`, unless its submitter has enough waiting.
    func submit(_ kind: DevnetJobKind, number: Int, now: Timestamp) async throws -> Turn {
        let client = kind.byNewcomer ? newcomer : tenant
        let unfinished = try await Self.unfinishedJobs(of: client)
        guard unfinished < Self.maxUnfinished else { return .skipped(kind: kind, unfinished: unfinished) }
        try await DevnetBootstrap.topUp(client)
        let path = "/v1/jobs" + (kind == .setAside ? "?pool=\(DevnetBootstrap.pool)" : "")
        let answer = try await client.send(.POST, path, body: Array(JSONOutput.string(kind.spec(number: number, now: now)).utf8))
        guard answer.status == 201, let job = (answer.json as? [String: Any])?["job"] as? String else {
            throw DevnetBootstrap.Failure(description: "the coordinator refused demo job \(number) (\(kind.rawValue)): \(answer.errorSummary)")
        }
        return .submitted(kind: kind, job: job)
    }

    /// The signer's jobs that are pending or running.
    static func unfinishedJobs(of client: CoordinatorClient) async throws -> Int {
        let answer = try await client.send(.GET, "/v1/jobs")
        guard answer.status == 200, let jobs = (answer.json as? [String: Any])?["jobs"] as? [[String: Any]] else {
            throw DevnetBootstrap.Failure(description: "listing jobs: \(answer.errorSummary)")
        }
        return jobs.count { ["pending", "running"].contains($0["status"] as? String) }
    }
}
