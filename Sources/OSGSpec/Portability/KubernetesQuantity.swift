/// A Kubernetes resource quantity (`500m`, `7.5`, `64Gi`, `8G`, `128e9`) as an exact fraction.
struct KubernetesQuantity: Hashable {
    var numerator: Int128
    var denominator: Int128

    /// Parses `text`; `nil` when it is not a quantity.
    init?(_ text: String) {
        var rest = Substring(text.trimmingASCIIWhitespace())
        let number = rest.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1 else { return nil }
        rest = rest.dropFirst(number.count)
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts[0], fraction = parts.count > 1 ? parts[1] : ""
        guard whole.count + fraction.count <= 18, let digits = Int128(String(whole + fraction)) else { return nil }
        var numerator = digits
        var denominator = Self.power(10, fraction.count)
        let suffix = String(rest)
        let binary: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]
        let decimal: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
        // At most 18 digits (< 2^60) times at most 2^60 or 10^18 (< 2^60), over at most 10^36: no overflow.
        if let shift = binary[suffix] {
            numerator *= Int128(1) << shift
        } else if let exponent = decimal[suffix] {
            if exponent >= 0 { numerator *= Self.power(10, exponent) } else { denominator *= Self.power(10, -exponent) }
        } else if suffix.first == "e" || suffix.first == "E", let exponent = Int(suffix.dropFirst()), abs(exponent) <= 18 {
            if exponent >= 0 { numerator *= Self.power(10, exponent) } else { denominator *= Self.power(10, -exponent) }
        } else {
            return nil
        }
        guard numerator.magnitude < UInt128(1) << 126 else { return nil }
        self.numerator = numerator
        self.denominator = denominator
    }

    /// The quantity divided by `unit` (at most 2^40), rounded up.
    func ceiling(in unit: Int128) -> Int128 {
        precondition(unit > 0 && unit <= 1 << 40, "units are cores or GiB")
        // The denominator is at most 10^24 (fraction digits) × 10^18, times 2^40: below 2^127.
        let (scaled, overflow) = denominator.multipliedReportingOverflow(by: unit)
        guard !overflow else { return 0 }
        return numerator / scaled + (numerator % scaled == 0 ? 0 : 1)
    }

    private static func power(_ base: Int128, _ exponent: Int) -> Int128 {
        (0..<exponent).reduce(1) { result, _ in result * base }
    }
}
