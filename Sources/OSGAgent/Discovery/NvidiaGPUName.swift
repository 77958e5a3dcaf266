import OSGDomain

/// Maps the marketing names NVIDIA's driver reports to the published ``OSGDomain/GPUModel``
/// catalog.
///
/// A name is split into words (at spaces and dashes) after the brand words (`NVIDIA`,
/// `Tesla`, `GeForce`, `Quadro`) are dropped. Its first word, joined with the second when the
/// first is `RTX` (`RTX 4090` → `RTX4090`, `RTX A6000` → `RTXA6000`), must name a catalogued
/// model, and every other word must only describe the board: a form factor (`SXM4`, `PCIe`,
/// `NVL`), a memory type (`HBM3`) or a memory size (`80GB`). Any other word makes a different
/// product, so the name has no catalog model:
///
/// ```
/// NVIDIA H100 80GB HBM3       → H100        NVIDIA GeForce RTX 4090   → RTX4090
/// NVIDIA A100-SXM4-80GB       → A100        Tesla V100-SXM2-32GB      → V100
/// NVIDIA GeForce RTX 4090 D   → nil (a cut-down variant, not an RTX 4090)
/// NVIDIA RTX 6000 Ada Generation → nil (not the RTX A6000)
/// NVIDIA H800 PCIe            → nil (not in the catalog)
/// ```
public enum NvidiaGPUName {
    /// Words that name the vendor or product line, not the model.
    static let brandWords: Set<String> = ["NVIDIA", "TESLA", "GEFORCE", "QUADRO"]

    /// Words that describe a board of a model without making it another model.
    static let boardWords: Set<String> = [
        "SXM", "SXM2", "SXM3", "SXM4", "SXM5", "SXM6", "PCIE", "NVL", "HBM2", "HBM2E", "HBM3", "HBM3E", "GDDR6",
    ]

    /// Model words the driver prints that the catalog spells differently.
    static let aliases: [String: String] = [
        // The V100S is a V100 board with faster memory, sold and priced as a V100.
        "V100S": "V100"
    ]

    /// The catalogued model of a GPU the driver calls `name`, or `nil` if the catalog has none.
    ///
    /// - Parameter name: the `name` field of `nvidia-smi --query-gpu`, e.g. `NVIDIA L40S`.
    public static func catalogModel(forMarketingName name: String) -> GPUModel? {
        let words = name.uppercased()
            .split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "\t" })
            .map(String.init)
            .filter { !brandWords.contains($0) }
        guard let first = words.first else { return nil }
        var modelWord = first
        var rest = words.dropFirst()
        if first == "RTX", let second = rest.first {
            modelWord += second
            rest = rest.dropFirst()
        }
        guard rest.allSatisfy(isBoardWord) else { return nil }
        return GPUModel.named(aliases[modelWord] ?? modelWord)
    }

    /// Whether `word` only describes a board: a known board word or a memory size (`80GB`).
    static func isBoardWord(_ word: String) -> Bool {
        if boardWords.contains(word) { return true }
        guard word.hasSuffix("GB") else { return false }
        let digits = word.dropLast(2)
        return !digits.isEmpty && digits.count <= 4 && digits.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
