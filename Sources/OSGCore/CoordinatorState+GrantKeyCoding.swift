import OSGDomain

/// Grants are keyed by (pool, tenant); as a coding key `pool/tenant` (a pool name has no
/// `/`), so a snapshot encodes them as an object with sorted keys, never in hash order.
extension CoordinatorState.GrantKey: CodingKeyRepresentable {
    public var codingKey: any CodingKey { GrantCodingKey(stringValue: pool + "/" + tenantID) }

    public init?<T: CodingKey>(codingKey: T) {
        guard let slash = codingKey.stringValue.firstIndex(of: "/") else { return nil }
        self.init(pool: String(codingKey.stringValue[..<slash]), tenantID: String(codingKey.stringValue[codingKey.stringValue.index(after: slash)...]))
    }

    private struct GrantCodingKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
