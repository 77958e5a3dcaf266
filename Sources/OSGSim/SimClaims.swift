/// The claims the simulator exists to test (docs/SIMULATOR.md, "Claims"), each measured on a
/// run's report against its goal: open (market, set-asides, fair share, carbon shifting)
/// against concentrated, and carbon shifting against the open market without it.
public struct SimClaim: Hashable, Sendable {
    /// Stable key (JSON).
    public var key: String
    /// What is measured, in words.
    public var text: String
    /// The measured figure; `nil` when undefined (a ratio to zero).
    public var value: Double?
    /// The goal, e.g. `<= 0.2`.
    public var goal: String
    /// Whether the goal is met.
    public var met: Bool
}

public enum SimClaims {
    /// The claims of `report`: empty when it lacks the three regimes.
    public static func of(_ report: SimReport) -> [SimClaim] {
        func regime(_ name: String) -> RegimeMetrics? { report.regimes.first { $0.name == name } }
        guard let concentrated = regime("concentrated"), let open = regime("open"), let plain = regime("open-no-carbon") else { return [] }
        var claims: [SimClaim] = []
        /// `numerator ÷ denominator` against `limit`: 0 ÷ 0 meets it (no worse), x ÷ 0 does not.
        func ratio(_ key: String, _ text: String, _ numerator: Double, _ denominator: Double, atMost limit: Double) -> SimClaim {
            if denominator == 0 {
                return SimClaim(key: key, text: text, value: numerator == 0 ? nil : .infinity, goal: "<= \(limit)", met: numerator == 0)
            }
            let value = numerator / denominator
            return SimClaim(key: key, text: text, value: value, goal: "<= \(limit)", met: value <= limit)
        }
        let newcomerOpen = open.figures(.newcomer), newcomerConcentrated = concentrated.figures(.newcomer)
        claims.append(ratio("newcomer_wait_p90_open_over_concentrated", "newcomers' wait p90, open ÷ concentrated",
                            Double(newcomerOpen.waitP90Seconds), Double(newcomerConcentrated.waitP90Seconds), atMost: 0.2))
        claims.append(SimClaim(key: "newcomer_acceptance_open", text: "newcomers' acceptance, open", value: newcomerOpen.acceptanceRate,
                               goal: ">= 0.95", met: newcomerOpen.acceptanceRate >= 0.95))
        claims.append(SimClaim(key: "jain_open", text: "Jain index over users' served ÷ demanded GPU-hours, open", value: open.jainFairness,
                               goal: ">= 0.9", met: open.jainFairness >= 0.9))
        let utilisation = open.utilisation - concentrated.utilisation
        claims.append(SimClaim(key: "utilisation_open_minus_concentrated", text: "utilisation, open − concentrated", value: utilisation,
                               goal: ">= 0", met: utilisation >= -1e-9))
        claims.append(ratio("gco2_per_gpu_hour_open_over_concentrated", "gCO2 per GPU-hour, open ÷ concentrated",
                            open.gramsCO2PerGPUHour, concentrated.gramsCO2PerGPUHour, atMost: 0.75))
        claims.append(ratio("mean_wait_open_over_open_no_carbon", "mean wait, open ÷ open without carbon shifting",
                            open.meanWaitSeconds, plain.meanWaitSeconds, atMost: 1.05))
        var worst: (ratio: Double, name: String)?
        for userClass in UserClass.allCases {
            let shifted = Double(open.figures(userClass).waitP90Seconds), unshifted = Double(plain.figures(userClass).waitP90Seconds)
            let value = unshifted == 0 ? (shifted == 0 ? 1 : .infinity) : shifted / unshifted
            if worst.map({ value > $0.ratio }) ?? true { worst = (value, userClass.name) }
        }
        if let worst {
            claims.append(SimClaim(key: "class_wait_p90_open_over_open_no_carbon_max",
                                   text: "largest class wait p90, open ÷ open without carbon shifting (\(worst.name))",
                                   value: worst.ratio, goal: "<= 1.1", met: worst.ratio <= 1.1))
        }
        return claims
    }

    /// `value` for people: `n/a` (undefined), `inf`, or four decimals.
    public static func text(_ value: Double?) -> String {
        guard let value else { return "n/a" }
        return value.isFinite ? SimReportText.fixed(value, 4) : "inf"
    }
}
