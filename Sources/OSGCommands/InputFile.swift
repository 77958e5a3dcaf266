import Foundation

/// Reads command-line inputs (a path, or `-` for standard input) with errors that say which
/// file and why.
enum InputFile {
    struct ReadError: Error, CustomStringConvertible {
        enum Kind { case unreadable, notText }
        var kind: Kind = .unreadable
        var description: String
    }

    /// The bytes of `path`, or of standard input for `-`.
    static func readData(_ path: String) throws(ReadError) -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReadError(description: "cannot read \(path): no such file")
        }
        guard !isDirectory.boolValue else { throw ReadError(description: "cannot read \(path): it is a directory") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ReadError(description: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// The UTF-8 text of `path`, or of standard input for `-`.
    static func readText(_ path: String) throws(ReadError) -> String {
        let data = try readData(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReadError(kind: .notText, description: "cannot read \(path): it is not UTF-8 text")
        }
        return text
    }
}

/// Prints JSON objects for `--json` output: sorted keys, one line, no escaped slashes.
enum JSONOutput {
    static func print(_ object: Any) {
        Swift.print(string(object))
    }

    static func string(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
              let text = String(data: data, encoding: .utf8)
        else { preconditionFailure("JSON output must be built from JSON-compatible values") }
        return text
    }
}
