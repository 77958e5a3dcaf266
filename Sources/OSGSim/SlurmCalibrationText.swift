import Foundation

/// The printed forms of a Slurm calibration (`osg sim --calibrate-slurm [--json] [--peer F]`).
public enum SlurmCalibrationText {
    /// One JSON object (contract): `jobs`, `wait_p50_s`, `wait_p90_s`, `wait_p99_s` of the
    /// simulated site under the modelled Slurm (`scheduler` says how), the window and site,
    /// the same figures of the main comparison's concentrated scheduler under
    /// `concentrated_regime`, and with a peer its figures under `peer` (same keys) and the
    /// simulated ÷ peer ratios under `ratio` (`null` where the peer's figure is 0).
    public static func json(_ outcome: SlurmCalibration.Outcome, regime: SlurmCalibration.Outcome, peer: SlurmPeerResult?) -> String {
        let window = outcome.window
        var fields = [
            "\"jobs\":\(outcome.jobs)",
            waits(outcome),
            "\"wait_mean_s\":\(outcome.meanWaitSeconds)",
            "\"makespan_s\":\(outcome.makespanSeconds)",
            "\"from_day\":\(window.fromDay)",
            "\"window_start_s\":\(window.startSeconds)",
            "\"hours\":\(number(window.hours))",
            "\"site_gpus\":\(window.siteGPUs)",
            "\"site_cpus\":\(window.siteCPUs)",
            "\"scheduler\":{\"knows_run_times\":\(outcome.scheduler.knowsRunTimes),\"cycle_s\":\(outcome.scheduler.cycleSeconds)}",
            "\"concentrated_regime\":{\(waits(regime)),\"wait_mean_s\":\(regime.meanWaitSeconds)}",
        ]
        if let peer {
            var peerFields = [
                "\"jobs\":\(peer.jobs)",
                "\"wait_p50_s\":\(number(peer.waitP50Seconds))",
                "\"wait_p90_s\":\(number(peer.waitP90Seconds))",
                "\"wait_p99_s\":\(number(peer.waitP99Seconds))",
            ]
            if let completed = peer.completed { peerFields.append("\"completed\":\(completed)") }
            if let compress = peer.compress { peerFields.append("\"compress\":\(number(compress))") }
            if let name = peer.peer { peerFields.append("\"peer\":\(SimReportText.quoted(name))") }
            fields.append("\"peer\":{" + peerFields.joined(separator: ",") + "}")
            let ratios = zip(["p50", "p90", "p99"], ratios(outcome, peer)).map { "\"\($0)\":\($1.map { String(format: "%.3f", $0) } ?? "null")" }
            fields.append("\"ratio\":{" + ratios.joined(separator: ",") + "}")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A table for the terminal, seconds and hours.
    public static func table(_ outcome: SlurmCalibration.Outcome, regime: SlurmCalibration.Outcome, peer: SlurmPeerResult?) -> String {
        let window = outcome.window
        func cell(_ seconds: Double) -> String { String(format: "%8.0f s %6.2f h", seconds, seconds / 3_600) }
        func row(_ label: String, _ values: [Double]) -> String {
            label.padding(toLength: 26, withPad: " ", startingAt: 0) + values.map(cell).joined(separator: "  ")
        }
        func seconds(_ outcome: SlurmCalibration.Outcome) -> [Double] {
            [outcome.waitP50Seconds, outcome.waitP90Seconds, outcome.waitP99Seconds].map(Double.init)
        }
        let scheduler = outcome.scheduler
        var lines = [
            "Slurm calibration: \(outcome.jobs) jobs created in trace day \(window.fromDay) + \(number(window.hours)) h on one site of \(window.siteGPUs) GPUs and \(window.siteCPUs) cores",
            String(repeating: " ", count: 26) + "      wait p50            wait p90            wait p99",
            row("modelled Slurm", seconds(outcome)),
            row("concentrated regime", seconds(regime)),
        ]
        if let peer {
            lines.append(row("peer (\(peer.jobs) jobs)", [peer.waitP50Seconds, peer.waitP90Seconds, peer.waitP99Seconds]))
            lines.append("modelled ÷ peer".padding(toLength: 26, withPad: " ", startingAt: 0)
                + ratios(outcome, peer).map { ($0.map { String(format: "%17.2f", $0) } ?? String(repeating: " ", count: 14) + "n/a") }.joined(separator: "   "))
            if let name = peer.peer { lines.append("peer: \(name)" + (peer.compress.map { ", compressed \(number($0))×" } ?? "")) }
        }
        lines.append("modelled Slurm: backfill " + (scheduler.knowsRunTimes ? "on the true run times" : "without run times (no reservation)")
            + (scheduler.cycleSeconds > 0 ? ", one scheduler pass per \(scheduler.cycleSeconds) trace seconds" : ", acting at every event")
            + String(format: "; mean wait %.2f h; makespan %.1f h", Double(outcome.meanWaitSeconds) / 3_600, Double(outcome.makespanSeconds) / 3_600))
        lines.append("concentrated regime: EASY backfill on the true run times, acting at every event (the main comparison's scheduler)")
        return lines.joined(separator: "\n")
    }

    static func waits(_ outcome: SlurmCalibration.Outcome) -> String {
        "\"wait_p50_s\":\(outcome.waitP50Seconds),\"wait_p90_s\":\(outcome.waitP90Seconds),\"wait_p99_s\":\(outcome.waitP99Seconds)"
    }

    /// Simulated ÷ peer per percentile, `nil` where the peer's figure is 0.
    static func ratios(_ outcome: SlurmCalibration.Outcome, _ peer: SlurmPeerResult) -> [Double?] {
        zip([outcome.waitP50Seconds, outcome.waitP90Seconds, outcome.waitP99Seconds], [peer.waitP50Seconds, peer.waitP90Seconds, peer.waitP99Seconds])
            .map { $1 > 0 ? Double($0) / $1 : nil }
    }

    /// A number without a trailing `.0` when whole.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
