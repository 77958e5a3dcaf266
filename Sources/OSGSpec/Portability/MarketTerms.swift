import OSGDomain
import Yams

/// The part of a job spec that Slurm and Kubernetes have no words for — price bound, deadline,
/// placement, carbon, class, retries, network, the GPU model or class, durations — written by
/// the exporters as YAML (``JobSpecWriter/marketTerms(_:carriedElsewhere:)``: `#OSG` lines in
/// a batch script, the `openstargate.org/terms` annotation of a manifest) and read back here.
enum MarketTerms {
    /// The keys the terms may set.
    static let keys = ["gpu_model", "vram_gib", "duration", "max_duration", "max_price", "deadline", "placement",
                       "carbon", "class", "retries", "network", "image"]

    /// Applies the YAML mapping `text` over `draft`; unknown keys become warnings, bad values a
    /// refusal naming the key and `origin` (where the terms were found).
    static func apply(_ text: String, origin: String, to draft: inout SpecDraft, warnings: inout [String]) throws(ImportRefusal) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .default, .default, .utf8)
        } catch {
            throw ImportRefusal("\(origin): not YAML: \(error)")
        }
        guard let root else { return }
        guard case .mapping(let mapping) = root else { throw ImportRefusal("\(origin): must be a YAML mapping such as `max_price: 2.5`") }
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { continue }
            func fail(_ message: String) -> ImportRefusal { ImportRefusal("\(origin): \(key): \(message)") }
            func text() throws(ImportRefusal) -> String {
                guard let string = value.scalar?.string else { throw fail("must be text") }
                return string
            }
            func integer() throws(ImportRefusal) -> Int {
                guard let number = Int(try text()) else { throw fail("must be a whole number") }
                return number
            }
            func duration() throws(ImportRefusal) -> Int64 {
                do { return try DurationText.seconds(try text()) } catch let error as DurationText.ParseError { throw fail(error.description) } catch { throw fail("\(error)") }
            }
            func strings(_ node: Node?) throws(ImportRefusal) -> [String] {
                guard let node else { return [] }
                guard let sequence = node.sequence else { throw fail("lists must be written [a, b]") }
                var items: [String] = []
                for item in sequence {
                    guard let string = item.scalar?.string else { throw fail("list items must be text") }
                    items.append(string)
                }
                return items
            }
            switch key {
            case "gpu_model":
                let name = try text()
                guard let selector = GPUSelector(text: name) else { throw fail("unknown GPU model or class '\(name)'") }
                draft.gpuSelector = selector
            case "vram_gib": draft.vramGiB = try integer()
            case "duration": draft.durationSeconds = try duration()
            case "max_duration": draft.maxDurationSeconds = try duration()
            case "max_price":
                do { draft.maxPrice = try MicroCredits(decimal: try text()) } catch let error as MicroCredits.ParseError { throw fail(error.description) } catch { throw fail("\(error)") }
            case "deadline":
                let time = try text()
                guard let deadline = Timestamp(rfc3339: time) else { throw fail("'\(time)' is not an RFC 3339 time") }
                draft.deadline = deadline
            case "placement":
                guard let fields = value.mapping else { throw fail("must be a mapping") }
                draft.placement = Placement(
                    regions: try strings(fields["regions"]), jurisdictions: try strings(fields["jurisdictions"]),
                    excludedOperators: try strings(fields["exclude_operators"]))
            case "carbon":
                guard let fields = value.mapping else { throw fail("must be a mapping") }
                var carbon = CarbonPolicy()
                if let cap = fields["max_gco2_per_kwh"] {
                    guard let number = cap.scalar.flatMap({ Int($0.string) }) else { throw fail("max_gco2_per_kwh must be a whole number") }
                    carbon.maxGCO2PerKWh = number
                }
                if let shift = fields["shift"] { carbon.shift = shift.scalar?.string == "true" }
                draft.carbon = carbon
            case "class":
                let name = try text()
                guard let jobClass = JobClass(rawValue: name) else { throw fail("unknown class '\(name)'") }
                draft.jobClass = jobClass
            case "retries": draft.retries = try integer()
            case "network": draft.network = try text() == "true"
            case "image":
                // `image: null` says the export only added an image so the other system could run
                // a sandboxed command: the spec has none.
                if value.scalar?.isNull == true { draft.image = nil } else { draft.image = try text() }
            default:
                warnings.append("\(origin): unknown term '\(key)' ignored (known: \(keys.joined(separator: ", ")))")
            }
        }
    }
}
