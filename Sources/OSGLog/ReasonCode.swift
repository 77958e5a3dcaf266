/// A stable, machine-readable reason, as carried by every OSGLog error and rejection.
///
/// `Owner` is the type whose reasons these are, so that each has its own set of codes
/// (``ProofVerificationError/Code`` is `ReasonCode<ProofVerificationError>`); the codes themselves
/// are declared in an extension constrained to the owner. The raw value is what scripts and the
/// `--json` output of `osg log verify-*` see: new codes may be added, existing ones keep their
/// meaning.
///
/// ```swift
/// extension ReasonCode where Owner == MerkleTreeError {
///     public static var sizeBeyondTree: Self { Self(rawValue: "size_beyond_tree") }
/// }
/// ```
public struct ReasonCode<Owner>: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}
