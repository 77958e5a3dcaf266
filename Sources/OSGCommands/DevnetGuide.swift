import Foundation

/// What `osg devnet` prints once the network runs: where everything is and five commands to try.
struct DevnetGuide {
    var url: String
    /// The folder as the user named it (the commands use it as given).
    var folder: String
    var nodes: [DevnetNode]
    var tenantID: String
    var newcomerID: String
    /// Log entries recovered at a resumed start; `nil` for a new network.
    var resumedEntries: UInt64?
    var demoIntervalSeconds: Double?
    /// How to run the binary: `osg`, or `swift run osg` from a build folder.
    var osg: String

    var dashboard: String { url + "/" }
    var tenantKey: String { folder + "/keys/tenant.key" }
    var newcomerKey: String { folder + "/keys/newcomer.key" }

    /// Five commands to try, each with what it shows.
    var commands: [(command: String, shows: String)] {
        [
            ("\(osg) submit \(folder)/hello.yaml --wait", "run a job in a sandbox and follow its output"),
            ("\(osg) jobs", "your jobs: status, queue position, estimated start"),
            ("\(osg) providers", "operators and nodes, benchmarked and claimed vs observed"),
            ("\(osg) stats", "queue times, acceptance, utilisation, prices, carbon"),
            ("\(osg) audit --from \(url)/log", "replay the public log and check every balance and price"),
        ]
    }

    var text: String {
        let width = nodes.map(\.id.count).max() ?? 0
        var lines = [
            "",
            "OpenStargate devnet: \(resumedEntries.map { "resumed (\($0) log entries)" } ?? "a new network") in \(folder)",
            "  coordinator  \(url)   (API: \(url)/openapi.json, public log: \(url)/log/)",
            "  dashboard    \(dashboard)",
        ]
        for (index, node) in nodes.enumerated() {
            let padded = node.id.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(index == 0 ? "nodes      " : "           ")  \(padded)  \(node.summary)  (simulated GPUs, real sandboxed jobs)")
        }
        lines += [
            "  tenant       \(tenantID.prefix(16))…  key \(tenantKey), credits from the devnet faucet",
            "  newcomer     \(newcomerID.prefix(16))…  key \(newcomerKey), \(DevnetBootstrap.newcomerGrantGPUHours) GPU-hours in the set-aside pool \(DevnetBootstrap.pool)",
            "  governance   key \(folder)/keys/governance.key, a quorum of 1 (`\(osg) governance` shows who governs; propose, sign, submit)",
            "  carbon       the package's hourly grid series (BR, ES, NO, US-CAL-CISO, 2022), replayed on the clock",
            "  demo jobs    \(demoIntervalSeconds.map { "one every \(Self.seconds($0)) s, each kind in turn" } ?? "off (add --demo for a stream of sample jobs)")",
            "  logs         \(folder)/devnet.log",
            "",
            "Try, in another terminal:",
            "  export OSG_COORDINATOR=\(url) OSG_KEY=\(tenantKey)",
        ]
        let commandWidth = commands.map(\.command.count).max() ?? 0
        for (command, shows) in commands {
            lines.append("  \(command.padding(toLength: commandWidth, withPad: " ", startingAt: 0))   # \(shows)")
        }
        lines += ["", "Ctrl-C stops everything; `\(osg) devnet` again resumes; `\(osg) devnet --reset` starts over.", ""]
        return lines.joined(separator: "\n")
    }

    /// The `--json` object.
    var object: [String: Any] {
        [
            "coordinator": url, "dashboard": dashboard, "data": folder, "resumed": resumedEntries != nil,
            "log_entries": resumedEntries.map { Int($0) } ?? 0,
            "tenant": tenantID, "tenant_key": tenantKey, "newcomer": newcomerID, "newcomer_key": newcomerKey,
            "pool": DevnetBootstrap.pool, "demo": demoIntervalSeconds != nil,
            "nodes": nodes.map { ["id": $0.id, "gpus": $0.gpus, "region": $0.region, "zone": $0.zone, "power_source": $0.powerSource, "ask_price": $0.askPrice] },
            "try": commands.map(\.command),
        ]
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
