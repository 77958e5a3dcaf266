/// A value encoded as one string (a GPU model name, a hex key), so logs and snapshots stay
/// readable and stable.
protocol TextCodable: Codable {
    /// The value for `text`, or `nil` when the text names no valid value.
    init?(codableText text: String)
    /// The text the value is encoded as.
    var codableText: String { get }
    /// What the text should be, for the decoding error, e.g. "a hex Ed25519 public key".
    static var codableTextExpectation: String { get }
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(codableText: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not \(Self.codableTextExpectation)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(codableText)
    }
}
