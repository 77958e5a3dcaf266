import Crypto
import Foundation
import OSGDomain

/// Moves a lease's files between the node and the coordinator (or an input's URL): the agent's
/// side of `inputs:` and `outputs:` (docs/AGENT.md, "Inputs and outputs").
public protocol LeaseDataTransfer: Sendable {
    /// Downloads `input` (from the coordinator's blob store, or its URL) into `file` and checks
    /// its SHA-256 and size; `file` exists only once it does.
    func fetch(_ input: JobInput, to file: URL) async throws
    /// Uploads `file` as an output of `job` (owned by the job's tenant); its digest and size.
    func upload(output file: URL, job: String) async throws -> OutputBlob
    /// The bytes of the job-contents blob `digest` (at most 1 MiB), checked against it.
    func contents(_ digest: String) async throws -> [UInt8]
    /// The secrets of lease `leaseID` for `node`, each sealed to `recipient` (X25519, raw).
    func secrets(leaseID: String, node: String, recipient: [UInt8]) async throws -> [(name: String, sealed: [UInt8])]
}

/// Fetches and checks a lease's inputs before its job starts, and returns its outputs after.
///
/// Files live under `directory/<part>/`: `in-<n>` for the n-th input (read-only, 0444), and
/// `out-<n>.tar` for a directory output's archive; ``cleanUp(partID:)`` removes them with the
/// lease.
public struct LeaseData: Sendable {
    let transfer: any LeaseDataTransfer
    let directory: URL

    public init(transfer: any LeaseDataTransfer, directory: URL) {
        self.transfer = transfer
        self.directory = directory
    }

    /// Why an input could not be staged: the input's fault (a wrong digest or size, a URL that
    /// does not answer), reported as `input_failed`.
    public struct InputFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `work` with its private contents fetched, checked against their commitment and applied:
    /// the image, the command, the spec's variables (under the agent's own), and the paths and
    /// URLs of its inputs and outputs.
    public func applyContents(to work: LeaseWork) async throws(InputFailure) -> LeaseWork {
        guard let digest = work.contents else { return work }
        let contents: JobContents
        do {
            contents = try JobContents(bytes: try await transfer.contents(digest))
        } catch {
            throw InputFailure(description: "the job's contents \(digest.prefix(12))… could not be fetched: \(error)")
        }
        guard contents.commitment == digest else { throw InputFailure(description: "the job's contents do not match their commitment") }
        guard contents.inputs.count == work.wantedInputs.count, work.outputs.isEmpty || contents.outputs.count == work.outputs.count else {
            throw InputFailure(description: "the job's contents list other inputs or outputs than its spec")
        }
        // What the coordinator checked at submission, checked again here: the node trusts no one.
        guard contents.inputs.allSatisfy({ JobDataPath.isValid($0.path) && !$0.path.hasSuffix("/") }), contents.outputs.allSatisfy(JobDataPath.isValid),
              contents.secrets.allSatisfy({ JobSpec.isValidEnvironmentName($0.name) && !$0.name.hasPrefix("OSG_") }) else {
            throw InputFailure(description: "the job's contents name a path or a secret that is not allowed")
        }
        var applied = work
        applied.image = contents.image
        applied.command = contents.command ?? []
        for variable in contents.env where applied.environment[variable.name] == nil { applied.environment[variable.name] = variable.value }
        applied.wantedInputs = zip(work.wantedInputs, contents.inputs).map { JobInput(path: $1.path, sha256: $0.sha256, size: $0.size, url: $1.url) }
        applied.outputs = zip(work.outputs, contents.outputs).map { JobOutput(path: $1, maxBytes: $0.maxBytes) }
        applied.secretNames = contents.secrets.map(\.name)
        for name in applied.secretNames { applied.environment[name + "_FILE"] = "/run/secrets/" + name }
        applied.contents = nil
        return applied
    }

    /// The values of a part's secrets, fetched from the coordinator sealed to a key made for
    /// this request alone and opened here.
    public func fetchSecrets(names: [String], leaseID: String, node: String) async throws(InputFailure) -> [LeaseSecret] {
        guard !names.isEmpty else { return [] }
        let key = Curve25519.KeyAgreement.PrivateKey()
        let delivered: [(name: String, sealed: [UInt8])]
        do {
            delivered = try await transfer.secrets(leaseID: leaseID, node: node, recipient: Array(key.publicKey.rawRepresentation))
        } catch {
            throw InputFailure(description: "the job's secrets could not be fetched: \(error)")
        }
        var secrets: [LeaseSecret] = []
        for name in names {
            guard let sealed = delivered.first(where: { $0.name == name })?.sealed else {
                throw InputFailure(description: "the coordinator did not deliver secret \(name)")
            }
            do {
                secrets.append(LeaseSecret(name: name, value: try SealedSecret.open(sealed, with: key, info: SealedSecret.leaseInfo(leaseID: leaseID, name: name))))
            } catch {
                throw InputFailure(description: "secret \(name): \(error)")
            }
        }
        return secrets
    }

    /// Fetches every input of a part (at most four at once) and checks it.
    public func stage(_ inputs: [JobInput], partID: String) async throws(InputFailure) -> [StagedInput] {
        let folder = directory.appendingPathComponent(partID, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        } catch {
            throw InputFailure(description: "cannot create the input folder: \(error)")
        }
        let transfer = self.transfer
        let result: Result<[StagedInput], InputFailure> = await withTaskGroup(of: (Int, Result<StagedInput, InputFailure>).self) { group in
            var staged = [StagedInput?](repeating: nil, count: inputs.count)
            var next = 0
            func add() {
                let index = next
                let input = inputs[index]
                next += 1
                group.addTask {
                    let file = folder.appendingPathComponent("in-\(index)")
                    if !FileManager.default.fileExists(atPath: file.path) {
                        do {
                            try await transfer.fetch(input, to: file)
                        } catch {
                            return (index, .failure(InputFailure(description: "input \(input.path) (sha256 \(input.sha256.prefix(12))…, \(input.size) bytes): \(error)")))
                        }
                    }
                    _ = try? FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: file.path)
                    return (index, .success(StagedInput(path: input.path, file: file.path)))
                }
            }
            while next < min(4, inputs.count) { add() }
            while let (index, outcome) = await group.next() {
                switch outcome {
                case .failure(let failure):
                    group.cancelAll()
                    return .failure(failure)
                case .success(let input):
                    staged[index] = input
                    if next < inputs.count { add() }
                }
            }
            return .success(staged.compactMap { $0 })
        }
        return try result.get()
    }

    /// Uploads each output the job left in `work`, in the spec's order: a file as it is, a
    /// directory as a tar archive (sorted, without times or owners, so the same tree gives the
    /// same digest); `nil` for one that is missing, leaves the work directory, is over its cap,
    /// or could not be uploaded (`note` says why).
    public func collect(_ outputs: [JobOutput], from work: URL, job: String, partID: String,
                        note: @Sendable (String) -> Void) async -> [OutputBlob?] {
        var results: [OutputBlob?] = []
        let root = work.resolvingSymlinksInPath().path
        for (index, output) in outputs.enumerated() {
            let candidate = work.appendingPathComponent(output.path)
            let resolved = candidate.resolvingSymlinksInPath().path
            var isDirectory: ObjCBool = false
            guard resolved == root || resolved.hasPrefix(root + "/"), FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else {
                note("output \(output.path): not in the work directory; nothing returned")
                results.append(nil)
                continue
            }
            var file = URL(fileURLWithPath: resolved)
            if isDirectory.boolValue {
                let archive = directory.appendingPathComponent(partID, isDirectory: true).appendingPathComponent("out-\(index).tar")
                do {
                    try Self.archive(file, to: archive)
                } catch {
                    note("output \(output.path): \(error)")
                    results.append(nil)
                    continue
                }
                file = archive
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? nil
            guard let size, size <= output.maxBytes else {
                note("output \(output.path): \(size.map { "\($0) bytes" } ?? "unreadable"), over its cap of \(output.maxBytes) bytes; not returned")
                results.append(nil)
                continue
            }
            do {
                var blob = try await transfer.upload(output: file, job: job)
                blob.archive = isDirectory.boolValue
                results.append(blob)
            } catch {
                note("output \(output.path): upload failed: \(error)")
                results.append(nil)
            }
        }
        return results
    }

    /// Writes `folder` as a tar archive at `archive`: entries sorted by name, times, owners and
    /// groups fixed, so the archive depends on the tree only.
    static func archive(_ folder: URL, to archive: URL) throws {
        try FileManager.default.createDirectory(at: archive.deletingLastPathComponent(), withIntermediateDirectories: true)
        let message = try tar(["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "--format=gnu",
                               "-C", folder.path, "-cf", archive.path, "."])
        if let message { throw InputFailure(description: "tar could not archive the folder: \(message.prefix(300))") }
    }

    /// Runs GNU tar with `arguments`; `nil` when it succeeded, else what it printed on standard error.
    public static func tar(_ arguments: [String]) throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tar"] + arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : message
    }

    /// Removes a part's staged inputs and archives.
    public func cleanUp(partID: String) {
        let folder = directory.appendingPathComponent(partID, isDirectory: true)
        guard FileManager.default.fileExists(atPath: folder.path) else { return }
        // The inputs are read-only; their folder is not.
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Places checked inputs in a work directory the job can write (the Slurm executor): a hard
/// link of each file where the file system allows, a copy otherwise, read-only.
enum StagedInputPlacement {
    static func place(_ inputs: [StagedInput], in work: URL) throws {
        for input in inputs {
            precondition(JobDataPath.isValid(input.path), "input paths are checked with the spec")
            let target = work.appendingPathComponent(input.path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            if link(input.file, target.path) != 0 { try FileManager.default.copyItem(atPath: input.file, toPath: target.path) }
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: target.path)
        }
    }
}
