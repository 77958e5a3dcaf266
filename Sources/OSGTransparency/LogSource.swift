import Foundation

/// Where an auditor reads a published log from: a directory, or a URL prefix over HTTP. Paths
/// are relative to the log's prefix (`checkpoint`, `tile/0/000`, `state/42.json`), the same for
/// both.
public protocol LogSource: Sendable {
    /// A human-readable name of the source, for messages.
    var location: String { get }

    /// The bytes at `path`.
    ///
    /// - Throws: ``LogSourceError``: `.notFound` when there is no such file, `.unreachable`
    ///   when the source cannot be read at all.
    func fetch(_ path: String) async throws(LogSourceError) -> [UInt8]
}

/// Why a source could not give a file.
public struct LogSourceError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// The source answered, and has no such file.
        case notFound = "not_found"
        /// The source could not be reached or read.
        case unreachable
    }

    public var kind: Kind
    public var path: String
    public var message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// A published log in a local directory (a copy, a mirror, or the coordinator's own).
public struct DirectoryLogSource: LogSource {
    /// The directory that plays the role of the URL prefix.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var location: String { directory }

    public func fetch(_ path: String) async throws(LogSourceError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LogSourceError(.unreachable, path: path, "\(directory) is not a directory")
        }
        let file = directory + "/" + path
        guard FileManager.default.fileExists(atPath: file) else {
            throw LogSourceError(.notFound, path: path, "no file \(file)")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LogSourceError(.unreachable, path: path, "cannot read \(file)")
        }
        return Array(data)
    }
}
