import Foundation

/// The report as deterministic JSON and as a terminal table (pure text; no I/O).
public enum SimReportText {
    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// The report as one JSON object, keys in a fixed order, numbers with fixed decimals; the
    /// same report gives the same bytes. `extra` fields (e.g. timings) are appended as given.
    public static func json(_ report: SimReport, extra: [(String, String)] = []) -> String {
        var fields: [String] = [
            "\"operators\":\(report.operators)", "\"nodes\":\(report.nodes)", "\"gpus\":\(report.gpus)",
            "\"jobs\":\(report.jobs)", "\"users\":\(report.users)", "\"days\":\(report.days)", "\"seed\":\(report.seed)",
            "\"start\":\(quoted(report.start.description))",
            "\"zones\":[\(report.zones.map(quoted).joined(separator: ","))]",
            "\"offered_load\":\(fixed(report.offeredLoad, 4))",
            "\"outage_zone\":\(report.outageZone.map(quoted) ?? "null")",
        ]
        var regimes: [String] = []
        for regime in report.regimes {
            var classes: [String] = []
            for figures in regime.classes {
                classes.append("\(quoted(figures.userClass.name)):{\"submitted\":\(figures.submitted),\"accepted\":\(figures.accepted),"
                    + "\"acceptance_rate\":\(fixed(figures.acceptanceRate, 4)),\"wait_p50_s\":\(figures.waitP50Seconds),"
                    + "\"wait_p90_s\":\(figures.waitP90Seconds),\"wait_p99_s\":\(figures.waitP99Seconds)}")
            }
            regimes.append("{\"name\":\(quoted(regime.name)),\"classes\":{\(classes.joined(separator: ","))},"
                + "\"utilisation\":\(fixed(regime.utilisation, 4)),"
                + "\"mean_price_credits_per_gpu_hour\":\(fixed(regime.meanPricePerGPUHour, 4)),"
                + "\"gco2_per_gpu_hour\":\(fixed(regime.gramsCO2PerGPUHour, 2)),"
                + "\"jain_fairness\":\(fixed(regime.jainFairness, 4)),\"wait_mean_s\":\(fixed(regime.meanWaitSeconds, 1)),"
                + "\"gpu_hours_served\":\(fixed(regime.gpuHoursServed, 1)),"
                + "\"outage_interrupted_jobs\":\(regime.outageInterrupted),\"outage_delayed_jobs\":\(regime.outageDelayed),"
                + "\"outage_lost_jobs\":\(regime.outageLost),\"outage_gpu_hours_lost\":\(fixed(regime.outageGPUHoursLost, 1)),"
                + "\"node_loss_interruptions\":\(regime.interruptedByNodeLoss),\"deferred_for_carbon\":\(regime.deferredForCarbon),"
                + "\"gang_jobs\":\(regime.gangJobs),\"gang_jobs_started\":\(regime.gangJobsStarted),\"resource_refusals\":\(regime.resourceRefusals),"
                + "\"ledger_transfers\":\(regime.ledgerTransfers),\"settled_micro_credits\":\(regime.settledMicroCredits),"
                + "\"fees_micro_credits\":\(regime.feesMicroCredits),\"log_size\":\(regime.logSize),"
                + "\"log_root\":\(quoted(regime.logRootHex)),\"events\":\(regime.events)}")
        }
        fields.append("\"regimes\":[\(regimes.joined(separator: ","))]")
        let claims = SimClaims.of(report).map { claim in
            let value = claim.value.flatMap { $0.isFinite ? fixed($0, 4) : nil } ?? "null"
            return "\(quoted(claim.key)):{\"value\":\(value),\"goal\":\(quoted(claim.goal)),\"met\":\(claim.met)}"
        }
        fields.append("\"claims\":{\(claims.joined(separator: ","))}")
        for (key, value) in extra { fields.append("\(quoted(key)):\(value)") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func hours(_ seconds: Int64) -> String { fixed(Double(seconds) / 3600, 2) + "h" }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// A table for the terminal: one block of rows per regime.
    public static func table(_ report: SimReport) -> String {
        var lines: [String] = []
        lines.append("osg sim: \(report.operators) operators (\(report.nodes) nodes, \(report.gpus) GPUs at start), \(report.jobs) jobs from \(report.users) users, \(report.days) days from \(report.start), seed \(report.seed), offered load \(fixed(report.offeredLoad * 100, 1)) %, zones \(report.zones.joined(separator: " ")), outage \(report.outageZone ?? "none")")
        lines.append("")
        let header = ["regime", "class", "jobs", "accepted", "wait p50", "wait p90", "wait p99"]
        let widths = [16, 12, 9, 9, 10, 10, 10]
        lines.append(zip(header, widths).map { pad($0, $1) }.joined())
        for regime in report.regimes {
            for figures in regime.classes {
                let row = [regime.name, figures.userClass.name, String(figures.submitted), fixed(figures.acceptanceRate * 100, 1) + "%",
                           hours(figures.waitP50Seconds), hours(figures.waitP90Seconds), hours(figures.waitP99Seconds)]
                lines.append(zip(row, widths).map { pad($0, $1) }.joined())
            }
        }
        lines.append("")
        let header2 = ["regime", "util", "price/GPUh", "gCO2/GPUh", "Jain", "outage cut", "delayed", "lost", "node cuts", "deferred"]
        let widths2 = [16, 8, 12, 11, 8, 12, 9, 7, 11, 9]
        lines.append(zip(header2, widths2).map { pad($0, $1) }.joined())
        for regime in report.regimes {
            let row = [regime.name, fixed(regime.utilisation * 100, 1) + "%", fixed(regime.meanPricePerGPUHour, 3),
                       fixed(regime.gramsCO2PerGPUHour, 1), fixed(regime.jainFairness, 3), String(regime.outageInterrupted),
                       String(regime.outageDelayed), String(regime.outageLost), String(regime.interruptedByNodeLoss),
                       String(regime.deferredForCarbon)]
            lines.append(zip(row, widths2).map { pad($0, $1) }.joined())
        }
        lines.append("")
        for regime in report.regimes {
            lines.append("\(pad(regime.name, 16))ledger \(regime.ledgerTransfers) transfers, \(fixed(Double(regime.settledMicroCredits) / 1_000_000, 2)) credits settled; log \(regime.logSize) records, root \(regime.logRootHex)")
        }
        let claims = SimClaims.of(report)
        if !claims.isEmpty {
            lines.append("")
            lines.append(pad("claims (docs/SIMULATOR.md, \"Claims\")", 76) + pad("value", 10) + pad("goal", 10) + "met")
            for claim in claims {
                lines.append(pad(claim.text, 76) + pad(SimClaims.text(claim.value), 10) + pad(claim.goal, 10) + (claim.met ? "yes" : "no"))
            }
            lines.append("region outage, jobs delayed / lost: " + report.regimes.map { "\($0.name) \($0.outageDelayed) / \($0.outageLost)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
