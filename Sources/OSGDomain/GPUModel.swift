/// An accelerator model from the published catalog, e.g. `H100`.
///
/// The catalog gives every model a `rank` (a coarse, published ordering by capability for
/// ML training, led by tensor FP16/BF16 throughput and memory bandwidth). A spec may ask for a
/// class instead of a model: `any`, or `A100+` for "an A100 or any model ranked at least as
/// high". Every ask and every lease names the exact model, so a job pays for what it gets.
public struct GPUModel: Hashable, Sendable, CustomStringConvertible {
    /// Canonical name, upper case, e.g. `H100`, `RTX4090`.
    public var name: String
    /// Capability rank: a higher rank is a more capable accelerator.
    public var rank: Int
    /// The largest memory size per GPU sold for this model, in GiB.
    public var maxVRAMGiB: Int

    public var description: String { name }

    /// The published catalog, ordered by rank.
    public static let catalog: [GPUModel] = [
        GPUModel(name: "K80", rank: 10, maxVRAMGiB: 12),
        GPUModel(name: "P100", rank: 20, maxVRAMGiB: 16),
        GPUModel(name: "T4", rank: 25, maxVRAMGiB: 16),
        GPUModel(name: "V100", rank: 30, maxVRAMGiB: 32),
        GPUModel(name: "A10", rank: 32, maxVRAMGiB: 24),
        GPUModel(name: "A10G", rank: 32, maxVRAMGiB: 24),
        GPUModel(name: "L4", rank: 33, maxVRAMGiB: 24),
        GPUModel(name: "RTX3090", rank: 34, maxVRAMGiB: 24),
        GPUModel(name: "A30", rank: 35, maxVRAMGiB: 24),
        GPUModel(name: "A40", rank: 36, maxVRAMGiB: 48),
        GPUModel(name: "RTXA6000", rank: 36, maxVRAMGiB: 48),
        GPUModel(name: "RTX4090", rank: 40, maxVRAMGiB: 24),
        GPUModel(name: "L40", rank: 42, maxVRAMGiB: 48),
        GPUModel(name: "L40S", rank: 44, maxVRAMGiB: 48),
        GPUModel(name: "RTX5090", rank: 46, maxVRAMGiB: 32),
        GPUModel(name: "A100", rank: 50, maxVRAMGiB: 80),
        GPUModel(name: "MI250", rank: 52, maxVRAMGiB: 128),
        GPUModel(name: "H100", rank: 60, maxVRAMGiB: 94),
        GPUModel(name: "MI300X", rank: 62, maxVRAMGiB: 192),
        GPUModel(name: "GH200", rank: 64, maxVRAMGiB: 144),
        GPUModel(name: "H200", rank: 65, maxVRAMGiB: 141),
        GPUModel(name: "B200", rank: 80, maxVRAMGiB: 192),
    ]

    /// Looks a model up by name, ignoring case, spaces and dashes (`rtx-4090` is `RTX4090`).
    public static func named(_ text: String) -> GPUModel? {
        let key = normalized(text)
        return catalog.first { $0.name == key }
    }

    static func normalized(_ text: String) -> String {
        String(text.uppercased().filter { $0 != " " && $0 != "-" && $0 != "_" })
    }
}

/// What a job accepts: one model, a model or better, or any GPU.
public enum GPUSelector: Hashable, Sendable, CustomStringConvertible {
    /// Any catalogued GPU.
    case any
    /// Exactly this model.
    case exactly(GPUModel)
    /// This model or any model of at least its rank (`A100+`).
    case atLeast(GPUModel)

    /// Parses `any`, a model name such as `H100`, or a class such as `A100+`; `nil` if unknown.
    public init?(text: String) {
        let trimmed = text.trimmingASCIIWhitespace()
        if trimmed.lowercased() == "any" {
            self = .any
        } else if trimmed.hasSuffix("+"), let model = GPUModel.named(String(trimmed.dropLast())) {
            self = .atLeast(model)
        } else if let model = GPUModel.named(trimmed) {
            self = .exactly(model)
        } else {
            return nil
        }
    }

    /// Whether a GPU of `model` satisfies this selector.
    public func accepts(_ model: GPUModel) -> Bool {
        switch self {
        case .any: true
        case .exactly(let wanted): wanted.name == model.name
        case .atLeast(let floor): model.rank >= floor.rank
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .exactly(let model): model.name
        case .atLeast(let model): "\(model.name)+"
        }
    }
}

extension GPUModel: TextCodable {
    init?(codableText text: String) {
        guard let model = GPUModel.named(text) else { return nil }
        self = model
    }

    var codableText: String { name }
    static var codableTextExpectation: String { "a catalogued GPU model" }
}

extension GPUSelector: TextCodable {
    init?(codableText text: String) { self.init(text: text) }
    var codableText: String { description }
    static var codableTextExpectation: String { "a GPU model, a class such as A100+, or any" }
}
