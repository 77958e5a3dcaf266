/// Why a market snapshot cannot be cleared: which item, which field, what is wrong.
///
/// ```text
/// nodes[3] (id n0003): gpus: must be a whole number, got "8"
/// ```
public struct MarketInputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The offending item, e.g. `nodes[3] (id n0003)`, or `snapshot` for the whole document.
    public var item: String
    /// The field within the item, e.g. `gpus`; empty when the item as a whole is wrong.
    public var field: String
    /// What is wrong and how to fix it.
    public var message: String

    /// Creates an input error.
    public init(item: String, field: String, _ message: String) {
        self.item = item
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(item): \(message)" : "\(item): \(field): \(message)"
    }
}
