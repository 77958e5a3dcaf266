/// A file a job reads: fetched and checked by the agent before the job starts, and placed
/// read-only at `path` in the job's work directory (`inputs:` in the spec).
public struct JobInput: Hashable, Sendable, Codable {
    /// Where the job finds it, relative to its work directory (``JobDataPath``).
    public var path: String
    /// SHA-256 of the content, 64 lower-case hex digits: the agent refuses anything else.
    public var sha256: String
    /// The content's size in bytes.
    public var size: Int64
    /// Where the agent fetches it (`https://` or `http://`); `nil` for a blob the job's tenant
    /// uploaded to the coordinator (`osg blobs put`).
    public var url: String?

    public init(path: String, sha256: String, size: Int64, url: String? = nil) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.url = url
    }
}

/// A file or directory of the job's work directory that the agent returns to the job's
/// owner after the job ends (`outputs:` in the spec); a directory comes back as a tar archive.
public struct JobOutput: Hashable, Sendable, Codable {
    /// The file or directory, relative to the work directory (``JobDataPath``).
    public var path: String
    /// The most bytes it may take (a directory: its tar archive); a larger one is not returned.
    public var maxBytes: Int64

    public init(path: String, maxBytes: Int64) {
        self.path = path
        self.maxBytes = maxBytes
    }

    enum CodingKeys: String, CodingKey { case path, maxBytes = "max_bytes" }
}

/// What came back for one output of a job: its content's digest and size (in the log, with
/// the lease's end), or nothing when the job left no such file or it was over its cap.
public struct OutputBlob: Hashable, Sendable, Codable {
    /// SHA-256 of the content, 64 lower-case hex digits.
    public var sha256: String
    /// Bytes.
    public var size: Int64
    /// Whether the output was a directory, returned as a tar archive.
    public var archive: Bool

    public init(sha256: String, size: Int64, archive: Bool = false) {
        self.sha256 = sha256
        self.size = size
        self.archive = archive
    }
}

/// The rules for paths inside a job's work directory and for content digests.
public enum JobDataPath {
    /// Whether `path` is relative, has no empty, `.` or `..` component, no control character
    /// or backslash, and is at most 255 bytes.
    public static func isValid(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        guard (1...255).contains(bytes.count), bytes.first != UInt8(ascii: "/"),
              !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }) else { return false }
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// Whether `text` is a SHA-256 digest in lower-case hex.
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
