import OSGDomain
import OSGMarket

/// Formats a ``ClearingResult`` as the `--json` contract of `osg market clear` or as a table.
///
/// The JSON is written by hand so that prices appear as exact decimal numbers built from
/// micro-credits (`2.1`, never `2.0999999`).
public enum MarketClearOutput {
    /// `{"placements": [{"order": ID, "nodes": [{"node": ID, "gpus": N}], "price": P}], "unplaced": [{"order": ID, "reason": "..."}]}`;
    /// a `deferred_for_cleaner_power` entry also has `"planned_start"` and `"zone"`.
    public static func json(_ result: ClearingResult) -> String {
        var text = #"{"placements": ["#
        for (index, placement) in result.placements.enumerated() {
            if index > 0 { text += ", " }
            text += #"{"order": "# + quoted(placement.orderID) + #", "nodes": ["#
            for (nodeIndex, grant) in placement.grants.enumerated() {
                if nodeIndex > 0 { text += ", " }
                text += #"{"node": "# + quoted(grant.nodeID) + #", "gpus": \#(grant.gpus)}"#
            }
            text += #"], "price": "# + placement.pricePerGPUHour.description + "}"
        }
        text += #"], "unplaced": ["#
        for (index, entry) in result.unplaced.enumerated() {
            if index > 0 { text += ", " }
            text += #"{"order": "# + quoted(entry.orderID) + #", "reason": "# + quoted(entry.reason.code)
            if case .deferredForCleanerPower(let start, let zone) = entry.reason {
                text += #", "planned_start": "# + quoted(start.description) + #", "zone": "# + quoted(zone)
            }
            text += "}"
        }
        return text + "]}"
    }

    /// A readable table: one line per order, placed first, then a summary line.
    public static func table(_ result: ClearingResult) -> String {
        var lines: [String] = []
        let width = max(8, (result.placements.map(\.orderID.count) + result.unplaced.map(\.orderID.count)).max() ?? 0)
        func pad(_ text: String, _ count: Int) -> String { text + String(repeating: " ", count: max(0, count - text.count)) }
        if !result.placements.isEmpty {
            lines.append(pad("ORDER", width) + "  " + pad("PRICE/GPU-H", 11) + "  " + "NODES (GPUs)")
            for placement in result.placements {
                let nodes = placement.grants.map { "\($0.nodeID)×\($0.gpus)" }.joined(separator: ", ")
                // A set-aside order's node asks above its pool's price: the pool's funding pays the rest.
                let subsidy = placement.poolSubsidy.rawValue > 0 ? "  (pool pays \(placement.poolSubsidy))" : ""
                lines.append(pad(placement.orderID, width) + "  " + pad(placement.pricePerGPUHour.description, 11) + "  " + nodes + subsidy)
            }
        }
        if !result.unplaced.isEmpty {
            if !lines.isEmpty { lines.append("") }
            lines.append(pad("UNPLACED", width) + "  REASON")
            for entry in result.unplaced {
                var reason = entry.reason.code
                if case .deferredForCleanerPower(let start, let zone) = entry.reason {
                    reason += " (start \(start) in \(zone))"
                }
                lines.append(pad(entry.orderID, width) + "  " + reason)
            }
        }
        let gpus = result.placements.reduce(0) { $0 + $1.totalGPUs }
        if !lines.isEmpty { lines.append("") }
        let subsidies = result.placements.reduce(Int64(0)) { $0 &+ $1.poolSubsidy.rawValue }
        lines.append("\(result.placements.count) placed (\(gpus) GPUs), \(result.unplaced.count) unplaced"
                     + (subsidies > 0 ? ", pools pay \(MicroCredits(subsidies)) in subsidies for the jobs' max_duration" : ""))
        return lines.joined(separator: "\n")
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension MarketClearOutput {
    /// Reads, clears and formats a snapshot: `osg market clear` without the file and the exit
    /// status (``json(_:)`` with `json`, else ``table(_:)``).
    /// - Throws: ``MarketInputError`` naming the item and field of a malformed snapshot.
    public static func clearing(snapshotText: String, json: Bool) throws(MarketInputError) -> String {
        let snapshot = try MarketSnapshotReader.read(snapshotText)
        let result = MarketClearing.clear(snapshot)
        return json ? Self.json(result) : table(result)
    }
}
