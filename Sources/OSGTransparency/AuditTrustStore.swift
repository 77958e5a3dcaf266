import Foundation

/// What an auditor remembers between runs, per log origin: the last checkpoint it verified
/// (so the next run can check the log only grew) and the verifier key it trusts (pinned with
/// `--key`, or recorded on first use).
///
/// Layout: `<directory>/<origin, escaped>/checkpoint` and `…/verifier-key`, where the origin is
/// escaped by writing every byte outside `A-Z a-z 0-9 . -` as `_XX` (hex).
public struct AuditTrustStore: Sendable {
    /// The state directory, e.g. `~/.openstargate/audit`.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The default state directory: `$HOME/.openstargate/audit`.
    public static var defaultDirectory: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.openstargate/audit"
    }

    /// The last verified checkpoint note of `origin`, as it was fetched.
    public func savedCheckpoint(origin: String) throws(LogSourceError) -> [UInt8]? {
        try read(origin: origin, name: "checkpoint")
    }

    /// The trusted verifier key of `origin`.
    public func trustedKey(origin: String) throws(LogSourceError) -> String? {
        try read(origin: origin, name: "verifier-key").map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Remembers `note` as the last verified checkpoint of `origin`.
    public func saveCheckpoint(_ note: [UInt8], origin: String) throws(LogSourceError) {
        try write(note, origin: origin, name: "checkpoint")
    }

    /// How many of `origin`'s first entries had their command proofs verified by this auditor
    /// (at the last verified checkpoint); `nil` when never recorded (an auditor that predates
    /// proofs verified none).
    public func proofsVerifiedThrough(origin: String) throws(LogSourceError) -> UInt64? {
        try read(origin: origin, name: "proofs-verified").flatMap { UInt64(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Records that the command proofs of `origin`'s first `size` entries verified.
    public func recordProofsVerified(through size: UInt64, origin: String) throws(LogSourceError) {
        try write(Array("\(size)\n".utf8), origin: origin, name: "proofs-verified")
    }

    /// Remembers `key` as the trusted verifier key of `origin`.
    public func trust(key: String, origin: String) throws(LogSourceError) {
        try write(Array((key + "\n").utf8), origin: origin, name: "verifier-key")
    }

    /// The folder of `origin`.
    public func folder(origin: String) -> String {
        var escaped = ""
        for byte in origin.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                escaped += "_" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return directory + "/" + escaped
    }

    private func read(origin: String, name: String) throws(LogSourceError) -> [UInt8]? {
        let file = folder(origin: origin) + "/" + name
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LogSourceError(.unreachable, path: file, "cannot read the audit state file")
        }
        return Array(data)
    }

    private func write(_ bytes: [UInt8], origin: String, name: String) throws(LogSourceError) {
        let folder = folder(origin: origin)
        let file = folder + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw LogSourceError(.unreachable, path: file, "cannot write the audit state file: \(error.localizedDescription)")
        }
    }
}
