import OSGDomain
import OSGMarket
import OSGSpec
import Yams

/// Reads the JSON input of `osg market clear` (DESIGN.md §4) into a ``MarketSnapshot``.
///
/// The text is composed with Yams, so numbers keep their exact decimal text: prices and
/// shares become micro-units without passing through `Double`. Each order's `spec` goes
/// through `JobSpecReader.read(_:now:)`, the same checks as `osg validate`; an invalid spec
/// becomes an unplaced order, not a failure. Anything else malformed throws a
/// ``MarketInputError`` naming the item and the field.
public enum MarketSnapshotReader {
    /// The snapshot in `text`, or the first problem found, naming the item and the field.
    public static func read(_ text: String) throws(MarketInputError) -> MarketSnapshot {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw MarketInputError(item: "snapshot", field: "", "the file is empty; expected a JSON object with now, nodes, orders and pools")
            }
            root = node
        } catch let error as MarketInputError {
            throw error
        } catch let error as YamlError {
            throw MarketInputError(item: "snapshot", field: "", "not valid JSON: \(Self.describe(error))")
        } catch {
            throw MarketInputError(item: "snapshot", field: "", "not valid JSON: \(error)")
        }
        let top = try Fields(root, item: "snapshot")
        let nowText = try top.string("now")
        guard let now = Timestamp(rfc3339: nowText) else {
            throw top.error("now", "'\(nowText)' is not an RFC 3339 time such as 2026-12-01T00:00:00Z")
        }
        let nodes = try top.sequence("nodes").enumerated().map { (index, node) throws(MarketInputError) in
            try readNode(node, index: index)
        }
        let orders = try top.sequence("orders").enumerated().map { (index, node) throws(MarketInputError) in
            try readOrder(node, index: index, now: now)
        }
        let pools = try (top.optionalSequence("pools") ?? []).enumerated().map { (index, node) throws(MarketInputError) in
            try readPool(node, index: index)
        }
        let tenants = try top.optionalSequence("tenants")?.enumerated().map { (index, node) throws(MarketInputError) in
            try readTenant(node, index: index)
        }
        let starvationAfter = try top.optionalInteger("starvation_after_s") ?? Int(ClearingEngine.defaultStarvationAfterSeconds)
        let snapshot = MarketSnapshot(
            now: now, nodes: nodes, orders: orders, pools: pools, carbon: try readCarbon(top), tenants: tenants,
            starvationAfterSeconds: Int64(starvationAfter))
        try snapshot.check()
        return snapshot
    }

    static func readNode(_ node: Node, index: Int) throws(MarketInputError) -> MarketNode {
        var fields = try Fields(node, item: "nodes[\(index)]")
        let id = try fields.identifier("id")
        fields.item = "nodes[\(index)] (id \(id))"
        let modelName = try fields.string("gpu_model")
        guard let model = GPUModel.named(modelName) else {
            throw fields.error("gpu_model", "unknown GPU model '\(modelName)'; known models: \(GPUModel.catalog.map(\.name).joined(separator: ", "))")
        }
        return MarketNode(
            id: id,
            operatorID: try fields.identifier("operator"),
            gpuModel: model,
            freeGPUs: try fields.integer("gpus"),
            vramGiB: try fields.integer("vram_gib"),
            cpuCores: try fields.integer("cpu"),
            memoryGiB: try fields.integer("memory_gib"),
            diskGiB: try fields.optionalInteger("disk_gib"),
            region: try fields.string("region"),
            jurisdiction: try fields.string("jurisdiction"),
            zone: try fields.identifier("zone"),
            askPerGPUHour: try fields.decimal("ask_price"),
            carbonMicroGCO2PerKWh: try fields.optionalDecimal("carbon_gco2_per_kwh")?.rawValue
        )
    }

    static func readOrder(_ node: Node, index: Int, now: Timestamp) throws(MarketInputError) -> MarketOrder {
        var fields = try Fields(node, item: "orders[\(index)]")
        let id = try fields.identifier("id")
        fields.item = "orders[\(index)] (id \(id))"
        let tenant = try fields.identifier("tenant")
        let submittedText = try fields.string("submitted")
        guard let submitted = Timestamp(rfc3339: submittedText) else {
            throw fields.error("submitted", "'\(submittedText)' is not an RFC 3339 time such as 2026-11-30T08:00:00Z")
        }
        let pool = try fields.optionalString("pool")
        guard let specNode = fields.values["spec"] else { throw fields.error("spec", "missing; every order carries its job spec") }
        let result = JobSpecReader.read(specNode, now: now)
        let request: MarketOrder.Request
        if let spec = result.spec {
            request = .valid(ValidSpec(spec))
        } else {
            // Field and message only: line numbers would make the verdict depend on the layout.
            request = .invalid(problems: result.problems.map { $0.field.isEmpty ? $0.message : "\($0.field): \($0.message)" })
        }
        return MarketOrder(id: id, tenantID: tenant, submitted: submitted, pool: pool, request: request)
    }

    static func readPool(_ node: Node, index: Int) throws(MarketInputError) -> SetAsidePool {
        var fields = try Fields(node, item: "pools[\(index)]")
        let name = try fields.string("name")
        fields.item = "pools[\(index)] (name \(name))"
        // A share is a fraction with at most six decimals: its micro-units are parts per million.
        let share = try fields.decimal("share")
        guard share.rawValue <= 1_000_000 else {
            throw fields.error("share", "must be a fraction between 0 and 1, got \(share)")
        }
        let price = try fields.decimal("price")
        let ceiling = try fields.optionalDecimal("ceiling")
        if let ceiling, ceiling < price {
            throw fields.error("ceiling", "must not be below the pool's price \(price), got \(ceiling)")
        }
        let funding = try fields.optionalDecimal("funding")
        return SetAsidePool(name: name, sharePPM: Int(share.rawValue), pricePerGPUHour: price,
                            ceilingPerGPUHour: ceiling, funding: funding)
    }

    /// A `tenants[]` entry: `id`, optional `weight` (default 1), optional `usage` with optional
    /// `gpus`, `cpu` and `memory_gib` (default 0 each).
    static func readTenant(_ node: Node, index: Int) throws(MarketInputError) -> TenantStanding {
        var fields = try Fields(node, item: "tenants[\(index)]")
        let id = try fields.identifier("id")
        fields.item = "tenants[\(index)] (id \(id))"
        let weight = try fields.optionalInteger("weight") ?? 1
        var standing = TenantStanding(id: id, weight: weight)
        if let usageNode = fields.values["usage"] {
            let usage = try Fields(usageNode, item: "tenants[\(index)] (id \(id)) usage")
            standing.usageGPUs = try usage.optionalInteger("gpus") ?? 0
            standing.usageCPUCores = try usage.optionalInteger("cpu") ?? 0
            standing.usageMemoryGiB = try usage.optionalInteger("memory_gib") ?? 0
        }
        return standing
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            "\(problem) at line \(mark.line), column \(mark.column)"
        case let .duplicatedKeysInMapping(duplicates, context):
            "key \(duplicates.joined(separator: ", ")) appears twice in one object at line \(context.mark.line)"
        default:
            "\(error)"
        }
    }

    /// The fields of one JSON object, with typed accessors whose errors name item and field.
    struct Fields {
        var item: String
        let values: [String: Node]

        init(_ node: Node, item: String) throws(MarketInputError) {
            self.item = item
            guard case .mapping(let mapping) = node else {
                throw MarketInputError(item: item, field: "", "must be a JSON object")
            }
            var values: [String: Node] = [:]
            for (key, value) in mapping {
                guard case .scalar(let name) = key else { throw MarketInputError(item: item, field: "", "field names must be text") }
                if case .scalar(let scalar) = value, scalar.style == .plain, scalar.string == "null" { continue }
                values[name.string] = value
            }
            self.values = values
        }

        func error(_ field: String, _ message: String) -> MarketInputError {
            MarketInputError(item: item, field: field, message)
        }

        private func scalar(_ field: String) throws(MarketInputError) -> Node.Scalar? {
            guard let node = values[field] else { return nil }
            guard case .scalar(let scalar) = node else { throw error(field, "must be a single value, not an object or a list") }
            return scalar
        }

        func optionalString(_ field: String) throws(MarketInputError) -> String? {
            guard let scalar = try scalar(field) else { return nil }
            if scalar.style == .plain, scalar.string == "true" || scalar.string == "false" {
                throw error(field, "must be text, got \(scalar.string)")
            }
            guard !scalar.string.isEmpty else { throw error(field, "must not be empty") }
            return scalar.string
        }

        func string(_ field: String) throws(MarketInputError) -> String {
            guard let text = try optionalString(field) else { throw error(field, "missing") }
            return text
        }

        /// An id: 1-128 printable ASCII characters without spaces (``IdentifierText``).
        func identifier(_ field: String) throws(MarketInputError) -> String {
            let text = try string(field)
            if let problem = IdentifierText.problem(text, field: field) { throw error(field, problem) }
            return text
        }

        private func number(_ field: String) throws(MarketInputError) -> String? {
            guard let scalar = try scalar(field) else { return nil }
            guard scalar.style == .plain else { throw error(field, "must be a number, got the text \"\(scalar.string)\"") }
            return scalar.string
        }

        func optionalInteger(_ field: String) throws(MarketInputError) -> Int? {
            guard let text = try number(field) else { return nil }
            guard let value = Int(text) else { throw error(field, "must be a whole number, got \(text)") }
            return value
        }

        func integer(_ field: String) throws(MarketInputError) -> Int {
            guard let value = try optionalInteger(field) else { throw error(field, "missing") }
            return value
        }

        func optionalDecimal(_ field: String) throws(MarketInputError) -> MicroCredits? {
            guard let text = try number(field) else { return nil }
            do {
                return try MicroCredits(decimal: text)
            } catch {
                throw self.error(field, "\(error.description); expected a non-negative decimal number")
            }
        }

        func decimal(_ field: String) throws(MarketInputError) -> MicroCredits {
            guard let value = try optionalDecimal(field) else { throw error(field, "missing") }
            return value
        }

        func sequence(_ field: String) throws(MarketInputError) -> [Node] {
            guard let nodes = try optionalSequence(field) else { throw error(field, "missing; expected a list") }
            return nodes
        }

        func optionalSequence(_ field: String) throws(MarketInputError) -> [Node]? {
            guard let node = values[field] else { return nil }
            guard case .sequence(let sequence) = node else { throw error(field, "must be a list") }
            return Array(sequence)
        }
    }
}
