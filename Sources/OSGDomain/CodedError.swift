/// An error or refusal with a stable, machine-readable code and a message that names what is
/// wrong and how to fix it. Each module has its own `Code` enum, so codes stay per module:
///
/// ```swift
/// public typealias StoreError = CodedError<StoreErrorCode>
/// throw StoreError(.corrupt, "log_entry 7 does not decode")
/// ```
public struct CodedError<Code: RawRepresentable & Hashable & Sendable>: Error, Hashable, Sendable, CustomStringConvertible
where Code.RawValue == String {
    /// The stable code.
    public var code: Code
    /// What is wrong and what to do.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}

extension CodedError: Codable where Code: Codable {}
