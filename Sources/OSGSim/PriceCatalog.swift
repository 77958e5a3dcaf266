import OSGDomain

/// One GPU offer of a price catalog: a model, GPUs per instance and the price per GPU-hour.
public struct GPUOffer: Hashable, Sendable {
    /// The model (from the domain catalog).
    public var model: GPUModel
    /// GPUs in the instance (1...64).
    public var gpus: Int
    /// On-demand price per GPU-hour, micro-credits (1 credit is priced like 1 USD).
    public var pricePerGPUHourMicroCredits: Int64
}

/// Reads SkyPilot catalog files (`vms.csv`: vast, lambda, hyperbolic, primeintellect), using
/// only the columns they share: `AcceleratorName`, `AcceleratorCount`, `Price`.
///
/// Rows without a GPU, without an on-demand price, or naming a model the domain catalog does
/// not know (e.g. RTX3060) are skipped; the price per GPU-hour is `Price / AcceleratorCount`.
public enum PriceCatalog {
    /// Parses a catalog file.
    ///
    /// - Throws: ``SimDataError`` naming the file and line of a row with the wrong field count
    ///   or a price or count that does not parse, a missing column, or no usable row.
    public static func parse(_ text: String, file: String) throws(SimDataError) -> [GPUOffer] {
        let lines = CSVLine.lines(text)
        guard let header = lines.first else { throw SimDataError(.empty, file: file, "the file is empty") }
        let names = try CSVLine.fields(header.text, file: file, line: header.number).map { String($0).trimmingCharacters(in: " \u{FEFF}") }
        func position(_ name: String) throws(SimDataError) -> Int {
            guard let at = names.firstIndex(of: name) else {
                throw SimDataError(.missingColumn, file: file, line: 1, "the header lacks column `\(name)` (needs AcceleratorName, AcceleratorCount, Price)")
            }
            return at
        }
        let nameAt = try position("AcceleratorName")
        let countAt = try position("AcceleratorCount")
        let priceAt = try position("Price")
        var offers: [GPUOffer] = []
        for (number, line) in lines.dropFirst() where !line.isEmpty {
            let fields = try CSVLine.fields(line, file: file, line: number)
            guard fields.count == names.count else {
                throw SimDataError(.badRow, file: file, line: number, "has \(fields.count) fields, the header has \(names.count)")
            }
            let name = fields[nameAt]
            let countText = fields[countAt]
            let priceText = fields[priceAt]
            if name.isEmpty || countText.isEmpty || priceText.isEmpty { continue }
            guard let count = Double(countText), count >= 1, count <= 64, count == count.rounded() else {
                throw SimDataError(.badRow, file: file, line: number, "`AcceleratorCount` is `\(countText)`; expected a whole number 1...64")
            }
            guard let price = Double(priceText), price >= 0, price < 10_000 else {
                throw SimDataError(.badRow, file: file, line: number, "`Price` is `\(priceText)`; expected USD per hour")
            }
            // "A100-80GB" → "A100"; "RTX6000-Ada" is not in the catalog and is skipped.
            let base = name.split(separator: "-").first.map(String.init) ?? String(name)
            guard let model = GPUModel.named(String(name)) ?? GPUModel.named(base) else { continue }
            let perGPU = Int64((price / count * 1_000_000).rounded())
            guard perGPU > 0 else { continue }
            offers.append(GPUOffer(model: model, gpus: Int(count), pricePerGPUHourMicroCredits: perGPU))
        }
        guard !offers.isEmpty else { throw SimDataError(.empty, file: file, "holds no GPU row with a price and a known model") }
        return offers
    }

    /// The median price per GPU-hour of `offers` (lower middle for an even count).
    public static func medianPricePerGPUHour(_ offers: [GPUOffer]) -> Int64 {
        precondition(!offers.isEmpty)
        let sorted = offers.map(\.pricePerGPUHourMicroCredits).sorted()
        return sorted[(sorted.count - 1) / 2]
    }
}
