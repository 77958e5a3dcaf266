/// Marks a derived cache of ``CoordinatorState``: a stored property that is a function of the
/// persistent fields, kept only to make `apply` fast.
///
/// `CoordinatorState` is `Codable` through the compiler-synthesised conformance, so every
/// stored property is in a snapshot by default — a new persistent field flows in with no
/// further code (it must be `Codable`; the compiler says so otherwise). A cache is wrapped in
/// `@DerivedCache`: it encodes as an empty object, decodes as its empty value, and
/// ``CoordinatorState/rebuildDerivedState()`` rebuilds it from the persistent fields after
/// decoding. A cache that is built lazily can be an optional (empty = `nil`).
@propertyWrapper
struct DerivedCache<Value: EmptyDerivedCache> {
    var wrappedValue: Value

    init(wrappedValue: Value) {
        self.wrappedValue = wrappedValue
    }
}

/// A cache value with an empty state, which a decoded ``DerivedCache`` starts from.
protocol EmptyDerivedCache {
    init()
}

extension DerivedCache: Sendable where Value: Sendable {}
extension Array: EmptyDerivedCache {}
extension Dictionary: EmptyDerivedCache {}
extension Set: EmptyDerivedCache {}
extension Optional: EmptyDerivedCache {
    init() { self = nil }
}
extension RunningLeaseTotals: EmptyDerivedCache {}
extension StatisticsTotals: EmptyDerivedCache {}
extension CarbonTotals: EmptyDerivedCache {}

extension DerivedCache: Codable {
    private struct NoKeys: CodingKey {
        var stringValue: String { "" }
        var intValue: Int? { nil }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { nil }
    }

    /// The empty value; ``CoordinatorState/rebuildDerivedState()`` fills it in.
    init(from decoder: any Decoder) throws {
        wrappedValue = Value()
    }

    /// Nothing but an empty object: a cache is never stored.
    func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
}
