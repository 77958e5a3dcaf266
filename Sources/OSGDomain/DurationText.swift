/// Parses and prints human durations such as `6h`, `90m`, `1h30m`, `2d`, `45s`.
///
/// Units: `d` (days), `h` (hours), `m` (minutes), `s` (seconds). A bare number is refused
/// because its unit would be a guess.
public enum DurationText {
    /// Why a duration could not be parsed.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case missingUnit(String)
        case unknownUnit(String, unit: String)
        case notADuration(String)
        case tooLong(String)

        public var description: String {
            switch self {
            case .empty: "is empty; write a duration such as 6h or 90m"
            case .missingUnit(let text): "'\(text)' has no unit; write e.g. \(text)s, 6h or 90m (units: d, h, m, s)"
            case .unknownUnit(let text, let unit): "'\(text)' uses unknown unit '\(unit)'; units are d, h, m, s"
            case .notADuration(let text): "'\(text)' is not a duration such as 6h, 90m or 1h30m"
            case .tooLong(let text): "'\(text)' is too long"
            }
        }
    }

    /// Seconds in `text`, e.g. 21,600 for `6h`.
    public static func seconds(_ text: String) throws(ParseError) -> Int64 {
        let trimmed = text.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { throw .empty }
        var total: Int64 = 0
        var value: Int64? = nil
        var unitText = ""
        var sawUnit = false
        func flush() throws(ParseError) {
            guard !unitText.isEmpty else { return }
            guard let amount = value else { throw .notADuration(trimmed) }
            let multiplier: Int64
            switch unitText {
            case "d": multiplier = 86_400
            case "h": multiplier = 3600
            case "m": multiplier = 60
            case "s": multiplier = 1
            default: throw .unknownUnit(trimmed, unit: unitText)
            }
            let (product, o1) = amount.multipliedReportingOverflow(by: multiplier)
            let (sum, o2) = total.addingReportingOverflow(product)
            if o1 || o2 { throw .tooLong(trimmed) }
            total = sum
            value = nil
            unitText = ""
            sawUnit = true
        }
        for character in trimmed {
            if let digit = character.wholeNumberValue, character.isASCII {
                if !unitText.isEmpty { try flush() }
                let (shifted, o1) = (value ?? 0).multipliedReportingOverflow(by: 10)
                let (next, o2) = shifted.addingReportingOverflow(Int64(digit))
                if o1 || o2 { throw .tooLong(trimmed) }
                value = next
            } else if character.isLetter {
                unitText.append(character)
            } else {
                throw .notADuration(trimmed)
            }
        }
        if unitText.isEmpty, value != nil { throw .missingUnit(trimmed) }
        try flush()
        guard sawUnit else { throw .notADuration(trimmed) }
        return total
    }

    /// Shortest text for `seconds`, e.g. `1h30m`.
    public static func format(seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        var rest = seconds
        var text = ""
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }
}

extension StringProtocol {
    /// The string without leading and trailing ASCII spaces, tabs and newlines.
    public func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
