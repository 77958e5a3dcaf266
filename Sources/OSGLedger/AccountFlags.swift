/// Balance limits of an account.
public struct AccountFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// debits_pending + debits_posted must never exceed credits_posted (a tenant cannot spend
    /// more than it deposited).
    public static let debitsMustNotExceedCredits = AccountFlags(rawValue: 1 << 0)
    /// credits_pending + credits_posted must never exceed debits_posted.
    public static let creditsMustNotExceedDebits = AccountFlags(rawValue: 1 << 1)

    /// The contract names of the flags that are set, in a fixed order.
    public var names: [String] {
        var result: [String] = []
        if contains(.debitsMustNotExceedCredits) { result.append("debits_must_not_exceed_credits") }
        if contains(.creditsMustNotExceedDebits) { result.append("credits_must_not_exceed_debits") }
        return result
    }

    /// Looks one flag up by its contract name; `nil` for an unknown name.
    public init?(name: String) {
        switch name {
        case "debits_must_not_exceed_credits": self = .debitsMustNotExceedCredits
        case "credits_must_not_exceed_debits": self = .creditsMustNotExceedDebits
        default: return nil
        }
    }
}
