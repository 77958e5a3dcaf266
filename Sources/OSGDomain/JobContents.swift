import Crypto

/// What a job runs, kept out of the public log (docs/JOB_SPEC.md, "What is public"): the image,
/// the command, the environment, the paths and URLs of its inputs, the paths of its outputs
/// and the names of its secrets. The log carries only its commitment, the SHA-256 of
/// ``bytes`` (a random 32-byte salt first, so nobody can confirm a guess); the coordinator
/// keeps the bytes as a blob of the job's tenant, which the tenant and the operators of the
/// job's running lease may read and check against the commitment.
public struct JobContents: Hashable, Sendable {
    /// One input's private part, in the spec's order.
    public struct Input: Hashable, Sendable {
        public var path: String
        public var url: String?

        public init(path: String, url: String?) {
            self.path = path
            self.url = url
        }
    }

    /// 32 random bytes.
    public var salt: [UInt8]
    /// Bytes of a salt.
    public static let saltByteCount = 32

    /// A fresh salt: 32 random bytes in one draw from the CSPRNG (not 32 system calls).
    public static func randomSalt() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }
    public var image: String?
    public var command: [String]?
    public var env: [EnvironmentVariable]
    public var inputs: [Input]
    /// The outputs' paths, in the spec's order.
    public var outputs: [String]
    /// The job's secrets, in the spec's order.
    public var secrets: [JobSecret]

    public init(salt: [UInt8], image: String?, command: [String]?, env: [EnvironmentVariable], inputs: [Input], outputs: [String],
                secrets: [JobSecret] = []) {
        precondition(salt.count == 32, "a contents salt is 32 bytes")
        self.salt = salt
        self.image = image
        self.command = command
        self.env = env
        self.inputs = inputs
        self.outputs = outputs
        self.secrets = secrets
    }

    /// Splits a full spec into the public spec the log carries (``JobSpec/contents`` set to the
    /// commitment; image, command, env, secrets gone; inputs with digest and size only;
    /// outputs with their caps only) and the private contents.
    public static func split(_ spec: JobSpec, salt: [UInt8]) -> (public: JobSpec, contents: JobContents) {
        let contents = JobContents(
            salt: salt, image: spec.image, command: spec.command, env: spec.environment,
            inputs: (spec.inputs ?? []).map { Input(path: $0.path, url: $0.url) }, outputs: (spec.outputs ?? []).map(\.path),
            secrets: spec.secrets ?? [])
        var open = spec
        open.image = nil
        open.command = nil
        open.env = nil
        open.secrets = nil
        open.inputs = spec.inputs?.map { JobInput(path: "", sha256: $0.sha256, size: $0.size) }
        open.outputs = spec.outputs?.map { JobOutput(path: "", maxBytes: $0.maxBytes) }
        open.contents = contents.commitment
        return (open, contents)
    }

    /// The full spec again: `spec` (public) with these contents put back.
    public func merged(into spec: JobSpec) -> JobSpec {
        var full = spec
        full.image = image
        full.command = command
        full.env = env.isEmpty ? nil : env
        full.secrets = secrets.isEmpty ? nil : secrets
        full.inputs = spec.inputs.map { zip($0, inputs).map { JobInput(path: $1.path, sha256: $0.sha256, size: $0.size, url: $1.url) } }
        full.outputs = spec.outputs.map { zip($0, outputs).map { JobOutput(path: $1, maxBytes: $0.maxBytes) } }
        full.contents = nil
        return full
    }

    /// The commitment: SHA-256 of ``bytes``, lower-case hex.
    public var commitment: String {
        SHA256.hash(data: bytes).withUnsafeBytes { Hex.encode($0) }
    }

    static let magic = Array("OSG-CONTENTS-1".utf8)

    /// The canonical bytes: `OSG-CONTENTS-1`, the salt, then each field in a fixed order, text
    /// as a big-endian `u32` length and UTF-8, optional fields behind a `u8` 0 or 1, lists
    /// behind a `u32` count (docs/TRANSPARENCY_LOG.md, "Job contents").
    public var bytes: [UInt8] {
        var out = Self.magic + salt
        func u32(_ value: Int) { withUnsafeBytes(of: UInt32(value).bigEndian) { out.append(contentsOf: $0) } }
        func text(_ value: String) {
            u32(value.utf8.count)
            out.append(contentsOf: value.utf8)
        }
        func optional(_ value: String?) {
            out.append(value == nil ? 0 : 1)
            if let value { text(value) }
        }
        optional(image)
        out.append(command == nil ? 0 : 1)
        if let command { u32(command.count); command.forEach(text) }
        u32(env.count)
        for variable in env { text(variable.name); text(variable.value) }
        u32(inputs.count)
        for input in inputs { text(input.path); optional(input.url) }
        u32(outputs.count)
        outputs.forEach(text)
        u32(secrets.count)
        for secret in secrets { text(secret.name); text(secret.sealed); out.append(secret.exposure.code) }
        return out
    }

    /// Why bytes are not job contents.
    public struct DecodingError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads canonical bytes back, refusing anything else (a wrong magic, a short field,
    /// trailing bytes, text that is not UTF-8).
    public init(bytes: [UInt8]) throws(DecodingError) {
        var index = 0
        func fail(_ what: String) -> DecodingError { DecodingError(description: "job contents: \(what) at byte \(index)") }
        func take(_ count: Int) throws(DecodingError) -> ArraySlice<UInt8> {
            guard count >= 0, bytes.count - index >= count else { throw fail("too short") }
            defer { index += count }
            return bytes[index..<index + count]
        }
        func u8() throws(DecodingError) -> UInt8 { try take(1).first! }
        func u32() throws(DecodingError) -> Int { Int(try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        func text() throws(DecodingError) -> String {
            let raw = try take(try u32())
            guard let value = String(validating: raw, as: UTF8.self) else { throw fail("text that is not UTF-8") }
            return value
        }
        func flag() throws(DecodingError) -> Bool {
            switch try u8() {
            case 0: return false
            case 1: return true
            default: throw fail("a flag other than 0 or 1")
            }
        }
        func count() throws(DecodingError) -> Int {
            let value = try u32()
            guard value <= bytes.count else { throw fail("a count larger than the bytes") }
            return value
        }
        guard Array(try take(Self.magic.count)) == Self.magic else { throw fail("not OSG-CONTENTS-1") }
        salt = Array(try take(32))
        image = try flag() ? try text() : nil
        if try flag() {
            var items: [String] = []
            for _ in 0..<(try count()) { items.append(try text()) }
            command = items
        } else {
            command = nil
        }
        var env: [EnvironmentVariable] = []
        for _ in 0..<(try count()) { env.append(EnvironmentVariable(name: try text(), value: try text())) }
        self.env = env
        var inputs: [Input] = []
        for _ in 0..<(try count()) { inputs.append(Input(path: try text(), url: try flag() ? try text() : nil)) }
        self.inputs = inputs
        var outputs: [String] = []
        for _ in 0..<(try count()) { outputs.append(try text()) }
        self.outputs = outputs
        var secrets: [JobSecret] = []
        for _ in 0..<(try count()) {
            let name = try text(), sealed = try text()
            guard let exposure = JobSecret.Exposure(code: try u8()) else { throw fail("an unknown secret exposure") }
            secrets.append(JobSecret(name: name, sealed: sealed, exposure: exposure))
        }
        self.secrets = secrets
        guard index == bytes.count else { throw fail("trailing bytes") }
    }
}

/// A secret of a job (`osg submit --secret NAME=@FILE`): its value, sealed to the coordinator
/// (HPKE), is a blob of the tenant; the agent of a leased node gets it resealed to its own
/// key when the lease starts. Only the name and the sealed blob's digest are in the job's
/// private contents; neither is in the log.
public struct JobSecret: Hashable, Sendable, Codable {
    /// How the job sees the secret (one way so far; the byte keeps room for more).
    public enum Exposure: String, Hashable, Sendable, Codable {
        /// A read-only file `/run/secrets/NAME` in memory, and the variable `NAME_FILE` naming it.
        case file

        var code: UInt8 { 0 }

        init?(code: UInt8) {
            guard code == 0 else { return nil }
            self = .file
        }
    }

    /// A variable-style name (`HF_TOKEN`).
    public var name: String
    /// SHA-256 of the sealed blob.
    public var sealed: String
    public var exposure: Exposure

    public init(name: String, sealed: String, exposure: Exposure = .file) {
        self.name = name
        self.sealed = sealed
        self.exposure = exposure
    }
}
