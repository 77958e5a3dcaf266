/// An amount of money in micro-credits (one credit = 1,000,000 micro-credits).
///
/// Money is never floating point: every price, balance and fee in OpenStargate is an
/// integer number of micro-credits. Decimal text such as `"2.10"` is parsed exactly.
///
/// ```swift
/// let price = try MicroCredits(decimal: "2.10")   // 2_100_000 micro-credits
/// ```
public struct MicroCredits: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Micro-credits in one credit.
    public static let perCredit: Int64 = 1_000_000

    /// The raw integer amount.
    public var rawValue: Int64

    /// Creates an amount from a raw number of micro-credits.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    /// Zero micro-credits.
    public static let zero = MicroCredits(0)

    /// Parses a non-negative decimal amount of credits, e.g. `"2.10"`, `"3"`, `"0.000001"`.
    ///
    /// - Throws: ``MicroCredits/ParseError`` when the text is not a plain decimal number,
    ///   has more than six fractional digits, or does not fit in 64 bits.
    public init(decimal text: String) throws(ParseError) {
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenPoint = false
        var digits = 0
        for scalar in text.unicodeScalars {
            if scalar == "." {
                if seenPoint { throw .notADecimal(text) }
                seenPoint = true
                continue
            }
            guard let digit = scalar.properties.numericType == .decimal ? Int64(String(scalar)) : nil,
                  scalar.isASCII else { throw .notADecimal(text) }
            digits += 1
            if seenPoint {
                fractionDigits += 1
                if fractionDigits > 6 { throw .tooPrecise(text) }
                fraction = fraction * 10 + digit
            } else {
                let (shifted, o1) = whole.multipliedReportingOverflow(by: 10)
                let (added, o2) = shifted.addingReportingOverflow(digit)
                if o1 || o2 { throw .tooLarge(text) }
                whole = added
            }
        }
        guard digits > 0 else { throw .notADecimal(text) }
        while fractionDigits < 6 { fraction *= 10; fractionDigits += 1 }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: Self.perCredit)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        if o1 || o2 { throw .tooLarge(text) }
        rawValue = total
    }

    /// Why a decimal amount could not be parsed.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case notADecimal(String)
        case tooPrecise(String)
        case tooLarge(String)

        public var description: String {
            switch self {
            case .notADecimal(let text): "'\(text)' is not a decimal amount such as 2.10"
            case .tooPrecise(let text): "'\(text)' has more than 6 decimal places (1 micro-credit is the smallest unit)"
            case .tooLarge(let text): "'\(text)' is too large"
            }
        }
    }

    /// The amount as decimal credits, e.g. `2.1` for 2,100,000 micro-credits.
    public var description: String { Self.decimalText(Int128(rawValue)) }

    /// `micro` micro-credits as decimal credits: no trailing zeros, no point for whole credits.
    private static func decimalText(_ micro: Int128) -> String {
        let sign = micro < 0 ? "-" : ""
        let magnitude = micro.magnitude
        let whole = magnitude / UInt128(perCredit)
        var fraction = String(magnitude % UInt128(perCredit))
        if fraction == "0" { return "\(sign)\(whole)" }
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(whole).\(fraction)"
    }

    public static func < (lhs: MicroCredits, rhs: MicroCredits) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `micro` micro-credits (a wide total, such as what many jobs may cost together) as
    /// decimal credits, like ``description``.
    public static func description(of micro: UInt128) -> String { decimalText(Int128(clamping: micro)) }

    /// A total of micro-credits kept in 128 bits (as ``sumDescription(_:)`` keeps it) as
    /// decimal credits, like ``description``.
    public static func description(ofTotal micro: Int128) -> String { decimalText(micro) }

    /// The exact sum of `amounts` as decimal credits, like ``description``, even where it does
    /// not fit 64 bits (a published total over many nodes or accounts never traps or wraps).
    public static func sumDescription<S: Sequence>(_ amounts: S) -> String where S.Element == MicroCredits {
        // 2^64 amounts of at most 2^63 each fit 127 bits: the sum never overflows.
        var sum: Int128 = 0
        for amount in amounts { sum += Int128(amount.rawValue) }
        return decimalText(sum)
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
