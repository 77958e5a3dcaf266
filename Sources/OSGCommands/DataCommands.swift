import ArgumentParser
import Foundation
import OSGAgent
import OSGDomain
import OSGSpec

/// `osg blobs put|get|ls|rm`: job inputs in the coordinator's blob store.
struct BlobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blobs",
        abstract: "Upload, download, list and delete blobs: job inputs and outputs, named by their SHA-256.",
        subcommands: [Put.self, Get.self, List.self, Remove.self])

    /// `osg blobs put FILE…`
    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "put",
            abstract: "Upload files (resuming an interrupted upload); prints each one's sha256 and size for a spec's inputs.")

        @Argument(help: "The files to upload.")
        var files: [String]

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let transfer = BlobTransfer(client: try options.signingClient())
            var uploaded: [[String: Any]] = []
            for file in files {
                let blob: OutputBlob
                do { blob = try await transfer.upload(URL(fileURLWithPath: file)) } catch { throw CleanExit.failure("\(file): \(error)") }
                uploaded.append(["file": file, "sha256": blob.sha256, "size": blob.size])
                if !options.json {
                    print("\(blob.sha256)  \(blob.size)  \(file)")
                }
            }
            if options.json { JSONOutput.print(["blobs": uploaded]) }
        }
    }

    /// `osg blobs get SHA256 --out FILE`
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Download a blob you may read and check its SHA-256.")

        @Argument(help: "The blob's SHA-256 (64 hex digits).")
        var sha256: String

        @Option(name: .long, help: "Where to write it (default: the digest, in the current directory).")
        var out: String?

        @OptionGroup var options: ClientOptions

        func run() async throws {
            guard JobDataPath.isDigest(sha256) else { throw CleanExit.failure("'\(sha256)' is not a SHA-256: 64 lower-case hex digits") }
            let client = try options.signingClient()
            let listing = try await options.quiet.call(client, .GET, "/v1/blobs")
            let owned = (listing["blobs"] as? [[String: Any]] ?? []).first { $0["sha256"] as? String == sha256 }
            guard let size = (owned?["size"] as? Int64) ?? (owned?["size"] as? Int).map(Int64.init) else {
                throw CleanExit.failure("this key owns no blob \(sha256) (osg blobs ls lists yours)")
            }
            let destination = URL(fileURLWithPath: out ?? sha256)
            do { try await BlobTransfer(client: client).download(sha256, size: size, to: destination) } catch { throw CleanExit.failure("\(error)") }
            if options.json { JSONOutput.print(["sha256": sha256, "size": size, "file": destination.path]) } else { print(destination.path) }
        }
    }

    /// `osg blobs ls`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List your blobs and your quota.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let answer = try await options.call(try options.signingClient(), .GET, "/v1/blobs")
            guard !options.json else { return }
            var table = TextTable(header: ["SHA256", "BYTES"])
            for blob in answer["blobs"] as? [[String: Any]] ?? [] {
                table.rows.append([TextTable.cell(blob["sha256"]), TextTable.cell(blob["size"])])
            }
            table.print(empty: "no blobs")
            print("used \(TextTable.cell(answer["used_bytes"])) of \(TextTable.cell(answer["quota_bytes"])) bytes")
        }
    }

    /// `osg blobs rm SHA256…`
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Give up blobs (the bytes go when nobody owns them).")

        @Argument(help: "The blobs' SHA-256 digests.")
        var digests: [String]

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.signingClient()
            for digest in digests {
                guard JobDataPath.isDigest(digest) else { throw CleanExit.failure("'\(digest)' is not a SHA-256: 64 lower-case hex digits") }
                _ = try await options.call(client, .DELETE, "/v1/blobs/\(digest)")
                if !options.json { print("removed \(digest)") }
            }
        }
    }
}

/// `osg results JOB [--out DIR]`: downloads what a job returned.
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Download a job's outputs and check their SHA-256 (a directory output is unpacked).",
        discussion: "Writes each output the job's last lease returned under DIR at its path in the job's work directory; lists outputs that did not come back. Exits 1 when the job has none yet.")

    @Argument(help: "The job id.")
    var job: String

    @Option(name: .long, help: "The folder to write into (default: the job id).")
    var out: String?

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try options.signingClient()
        let view = try await options.quiet.call(client, .GET, "/v1/jobs/\(pathSegment(job))")
        // The paths are private contents: in the owner's view of the job, not in its public spec.
        let wanted = (view["contents"] as? [String: Any])?["outputs"] as? [[String: Any]] ?? view["outputs"] as? [[String: Any]] ?? []
        guard !wanted.isEmpty else { throw CleanExit.failure("job \(job) lists no outputs in its spec") }
        let leases = view["leases"] as? [[String: Any]] ?? []
        guard let returned = leases.last(where: { $0["outputs"] is [Any] })?["outputs"] as? [Any] else {
            throw CleanExit.failure("job \(job) has returned no outputs yet (status \(view["status"] as? String ?? "?"))")
        }
        let folder = URL(fileURLWithPath: out ?? job)
        let transfer = BlobTransfer(client: client)
        var results: [[String: Any]] = []
        for (index, spec) in wanted.enumerated() {
            let path = spec["path"] as? String ?? "output-\(index)"
            guard JobDataPath.isValid(path) else { throw CleanExit.failure("output \(index) has an unsafe path '\(path)'") }
            guard index < returned.count, let blob = returned[index] as? [String: Any], let digest = blob["sha256"] as? String,
                  JobDataPath.isDigest(digest), let size = (blob["size"] as? Int64) ?? (blob["size"] as? Int).map(Int64.init) else {
                results.append(["path": path, "returned": false])
                continue
            }
            let archive = blob["archive"] as? Bool == true
            let target = folder.appendingPathComponent(path)
            let file = archive ? folder.appendingPathComponent(path.hasSuffix("/") ? String(path.dropLast()) + ".tar" : path + ".tar") : target
            do {
                try await transfer.download(digest, size: size, to: file)
                if archive { try Self.unpack(file, into: target) }
            } catch {
                throw CleanExit.failure("output \(path): \(error)")
            }
            results.append(["path": path, "returned": true, "sha256": digest, "size": size, "file": target.path])
        }
        if options.json {
            JSONOutput.print(["job": job, "outputs": results])
            return
        }
        var table = TextTable(header: ["OUTPUT", "BYTES", "SHA256", "WRITTEN TO"])
        for result in results {
            let returned = result["returned"] as? Bool == true
            table.rows.append([TextTable.cell(result["path"]), returned ? TextTable.cell(result["size"]) : "-",
                       returned ? TextTable.cell(result["sha256"]) : "(not returned: missing or over its cap)",
                       returned ? TextTable.cell(result["file"]) : ""])
        }
        table.print(empty: "no outputs")
    }

    /// Unpacks a directory output's tar archive into `folder` (a fresh one), without owners or
    /// modes from the archive, then removes the archive.
    static func unpack(_ archive: URL, into folder: URL) throws {
        if FileManager.default.fileExists(atPath: folder.path) { try FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if let message = try LeaseData.tar(["-x", "--no-same-owner", "--no-same-permissions", "-f", archive.path, "-C", folder.path]) {
            throw BlobTransfer.Failure(description: "tar could not unpack \(archive.lastPathComponent): \(message)")
        }
        try FileManager.default.removeItem(at: archive)
    }
}
