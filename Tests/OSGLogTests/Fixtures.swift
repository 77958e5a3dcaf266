import Foundation

/// Locates the committed test data (copied into the test bundle by `.copy("Fixtures")`).
enum Fixtures {
    static var merkleVectors: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/merkle-vectors")
    }

    /// Paths (relative to merkle-vectors/) of every JSON file under `folder`, sorted.
    static func vectorFiles(in folder: String) -> [String] {
        let root = merkleVectors.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var paths = [String]()
        for case let url as URL in walker where url.pathExtension == "json" {
            paths.append(folder + "/" + url.path.dropFirst(root.path.count + 1))
        }
        return paths.sorted()
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: merkleVectors.appendingPathComponent(relativePath))
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes = [UInt8]()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
