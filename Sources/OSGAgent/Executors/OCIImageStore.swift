import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Fetches OCI images with skopeo and unpacks them with umoci into root filesystems the
/// sandbox runs jobs in; every image is unpacked once, keyed by its manifest digest, and
/// shared by the leases that use it.
///
/// ```swift
/// let store = OCIImageStore(directory: state.appendingPathComponent("images"), logger: logger)
/// let image = try await store.image(for: "ghcr.io/org/trainer@sha256:…")
/// // image.rootFilesystem: <store>/images/sha256-<hex>/rootfs, read-only for jobs
/// ```
///
/// On disk (`<store>` is root's; the parts jobs need are traversable, nothing is writable but
/// by the agent):
///
/// ```text
/// blobs/sha256/<hex>          every layer, config and manifest fetched, shared by all images
///                             (skopeo checks each blob's digest as it writes it)
/// pulls/<token>/              one fetch's OCI layout; its blobs/ is a link to the shared one
/// unpacking/<token>/          one unpack in progress
/// images/sha256-<hex>/        an unpacked image: rootfs/, image.json (its config), umoci's files
/// sources/sha256-<hex>        what a reference resolved to → the manifest digest unpacked
/// locks/sha256-<hex>          held (flock) while that source is fetched and unpacked
/// tmp/                        the tools' big temporary files
/// ```
///
/// Every fetch and unpack writes to a directory of its own and the finished image appears by
/// one `rename`, so concurrent starts of the same image (in this process or another) never see
/// a partial root filesystem; the loser of a race discards its copy. Starts of one reference in
/// this process share one fetch, and fetches of one source digest (by any process) take turns
/// on a lock, so the second finds the first's image.
///
/// Whose fault a failure is, by ``ExecutorError`` code:
/// - the job's (the tenant named something unusable; ``jobFaultCodes``): `image_reference_invalid`
///   (unparsable, or a local path this node does not serve), `image_unavailable` (the registry
///   says the image does not exist or is not accessible), `image_digest_mismatch` (the image is
///   not the pinned one), `image_invalid` (no usable config);
/// - the node's (everything else): `image_tools_missing`, `image_pull_failed` (network, registry
///   errors, timeouts, a full disk), `image_unpack_failed`, `image_cache_failed`.
public final class OCIImageStore: Sendable {
    /// How long each tool may run.
    public struct Timeouts: Sendable, Hashable {
        /// Resolving a reference to its manifest (`skopeo inspect --raw`).
        public var resolveSeconds: Int
        /// Fetching an image's blobs (`skopeo copy`).
        public var copySeconds: Int
        /// Unpacking it (`umoci unpack`) and preparing its root filesystem.
        public var unpackSeconds: Int

        public init(resolveSeconds: Int = 120, copySeconds: Int = 3600, unpackSeconds: Int = 1800) {
            precondition(resolveSeconds > 0 && copySeconds > 0 && unpackSeconds > 0)
            self.resolveSeconds = resolveSeconds
            self.copySeconds = copySeconds
            self.unpackSeconds = unpackSeconds
        }
    }

    /// Codes of the failures that are the tenant's (the job's failure, not the node's).
    public static let jobFaultCodes: Set<String> = ["image_reference_invalid", "image_unavailable", "image_digest_mismatch", "image_invalid"]

    /// Whether `error` is the tenant's (see ``jobFaultCodes``).
    public static func isJobFault(_ error: ExecutorError) -> Bool { jobFaultCodes.contains(error.code) }

    public let directory: URL
    /// Directories whose OCI layouts and archives jobs may name (`oci:PATH`, `oci-archive:PATH`);
    /// none by default: tenants use registries.
    public let localImageDirectories: [URL]
    public let skopeoPath: String?
    public let umociPath: String?
    public let timeouts: Timeouts

    private let logger: Logger
    private let inFlight = Mutex<[String: Task<OCIImage, any Error>]>([:])

    /// - Parameters:
    ///   - directory: the store's directory (created when first used).
    ///   - localImageDirectories: where jobs may name local images (tests, an operator's own
    ///     images); a local reference elsewhere is refused.
    ///   - skopeoPath, umociPath: the tools; by default found on `PATH` (`nil`: not installed,
    ///     images fail with `image_tools_missing`).
    public init(
        directory: URL, localImageDirectories: [URL] = [], skopeoPath: String? = OCIImageStore.toolPath("skopeo"),
        umociPath: String? = OCIImageStore.toolPath("umoci"), timeouts: Timeouts = Timeouts(), logger: Logger
    ) {
        self.directory = directory.standardizedFileURL
        self.localImageDirectories = localImageDirectories.map(\.standardizedFileURL)
        self.skopeoPath = skopeoPath
        self.umociPath = umociPath
        self.timeouts = timeouts
        self.logger = logger
    }

    /// The first executable `name` on `PATH`, in `/usr/bin`, `/usr/local/bin` or `/usr/sbin`; `nil` if none.
    public static func toolPath(_ name: String) -> String? { OCIImageTool.find(name) }

    /// Checks skopeo and umoci are installed.
    /// - Throws: ``ExecutorError`` `image_tools_missing`, naming the packages.
    public func probe() throws {
        let missing = [("skopeo", skopeoPath), ("umoci", umociPath)].filter { $0.1.map { access($0, X_OK) != 0 } ?? true }.map(\.0)
        guard missing.isEmpty else {
            throw ExecutorError(
                "image_tools_missing",
                "this node cannot run images: \(missing.joined(separator: " and ")) not installed: apt-get install skopeo umoci"
            )
        }
    }

    /// The unpacked image `reference` names: from the cache, or fetched and unpacked now.
    /// Blocking work runs on threads of its own, never on the cooperative pool; concurrent calls
    /// for the same reference share one fetch.
    /// - Throws: ``ExecutorError``; see the type's documentation for the codes and whose fault
    ///   each is.
    public func image(for reference: String) async throws -> OCIImage {
        let parsed = try OCIImageReference(parsing: reference)
        let task: Task<OCIImage, any Error> = inFlight.withLock { running in
            if let task = running[reference] { return task }
            let task = Task<OCIImage, any Error> { [self] in
                defer { _ = inFlight.withLock { $0.removeValue(forKey: reference) } }
                return try await Self.onThread { [self] in try resolve(parsed) }
            }
            running[reference] = task
            return task
        }
        return try await task.value
    }

    /// The rootfs of an image already in the cache under `manifestDigest`, or `nil`.
    public func cachedImage(manifestDigest: String) -> URL? {
        guard OCIImageReference.isDigest(manifestDigest) else { return nil }
        let rootfs = imageDirectory(manifestDigest).appendingPathComponent("rootfs", isDirectory: true)
        return SandboxFiles.exists(rootfs) ? rootfs : nil
    }

    // MARK: - Resolving, fetching, unpacking (blocking)

    private var blobsDirectory: URL { directory.appendingPathComponent("blobs", isDirectory: true) }
    private var pullsDirectory: URL { directory.appendingPathComponent("pulls", isDirectory: true) }
    private var unpackingDirectory: URL { directory.appendingPathComponent("unpacking", isDirectory: true) }
    private var imagesDirectory: URL { directory.appendingPathComponent("images", isDirectory: true) }
    private var sourcesDirectory: URL { directory.appendingPathComponent("sources", isDirectory: true) }
    private var locksDirectory: URL { directory.appendingPathComponent("locks", isDirectory: true) }
    private var temporaryDirectory: URL { directory.appendingPathComponent("tmp", isDirectory: true) }
    private var policyFile: URL { directory.appendingPathComponent("policy.json") }
    private var tool: OCIImageTool { OCIImageTool(temporaryDirectory: temporaryDirectory.path) }

    private func imageDirectory(_ manifestDigest: String) -> URL {
        imagesDirectory.appendingPathComponent(Self.fileName(manifestDigest), isDirectory: true)
    }

    /// `sha256-<hex>`: a digest as a file name.
    private static func fileName(_ digest: String) -> String { digest.replacingOccurrences(of: ":", with: "-") }

    /// The whole path from a reference to an unpacked image; each step says why it failed.
    private func resolve(_ reference: OCIImageReference) throws -> OCIImage {
        try probe()
        try checkLocalPath(reference)
        try prepareDirectories()

        // A pinned reference seen before needs nothing from the network.
        if let pinned = reference.pinnedDigest, let cached = try cached(reference, sourceDigest: pinned) { return cached }

        let started = Date()
        let manifest = try run(
            [skopeoPath!, "--policy", policyFile.path, "inspect", "--raw", reference.skopeoName], timeout: timeouts.resolveSeconds,
            failure: { self.pullFailure(reference, $0, doing: "resolve") }
        ).stdout
        guard !manifest.isEmpty else {
            throw ExecutorError("image_pull_failed", "skopeo returned no manifest for image \(reference.text.debugDescription): try again")
        }
        let sourceDigest = OCIImageDigest.sha256(manifest)
        if let pinned = reference.pinnedDigest, pinned != sourceDigest {
            throw ExecutorError(
                "image_digest_mismatch",
                "image \(reference.text.debugDescription) resolved to a manifest with digest \(sourceDigest), not the pinned \(pinned): pin the digest of the image you mean"
            )
        }
        // One fetch of an image at a time (in this process or another): skopeo rewrites a
        // manifest blob in place, so a second copy of the same image could truncate it under the
        // first one's unpack.
        return try exclusively(sourceDigest, reference) {
            if let cached = try cached(reference, sourceDigest: sourceDigest) { return cached }
            return try fetch(reference, sourceDigest: sourceDigest, started: started)
        }
    }

    /// Copies the image `sourceDigest` names, unpacks it unless its manifest is there already,
    /// and records what the source digest resolved to.
    private func fetch(_ reference: OCIImageReference, sourceDigest: String, started: Date) throws -> OCIImage {
        // Fetch into a layout of our own whose blobs are the shared ones: layers already here
        // are not fetched again, and no other fetch writes this layout's index.
        let token = Self.token()
        let layout = pullsDirectory.appendingPathComponent(token, isDirectory: true)
        let digestFile = pullsDirectory.appendingPathComponent(token + ".digest")
        defer {
            try? FileManager.default.removeItem(at: layout)
            try? FileManager.default.removeItem(at: digestFile)
        }
        try cacheStep("create \(layout.path)") {
            try SandboxFiles.makeDirectory(layout, mode: 0o700)
            try FileManager.default.createSymbolicLink(atPath: layout.appendingPathComponent("blobs").path, withDestinationPath: "../../blobs")
        }
        _ = try run(
            [
                skopeoPath!, "--policy", policyFile.path, "copy", "--quiet", "--digestfile", digestFile.path,
                reference.skopeoName(resolvedDigest: sourceDigest), "oci:\(layout.path):image",
            ],
            timeout: timeouts.copySeconds, failure: { self.pullFailure(reference, $0, doing: "fetch") }
        )
        let manifestDigest = (SandboxFiles.readText(digestFile) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard OCIImageReference.isDigest(manifestDigest) else {
            throw ExecutorError("image_pull_failed", "skopeo did not report the digest of image \(reference.text.debugDescription) (got \(manifestDigest.debugDescription))")
        }
        let fetched = Date()

        if !SandboxFiles.exists(imageDirectory(manifestDigest)) {
            try unpack(reference, layout: layout, manifestDigest: manifestDigest)
        }
        try cacheStep("record \(sourceDigest)") {
            try Self.writeShared(Data((manifestDigest + "\n").utf8), to: sourcesDirectory.appendingPathComponent(Self.fileName(sourceDigest)))
        }
        guard var image = try cached(reference, sourceDigest: sourceDigest) else {
            throw ExecutorError("image_cache_failed", "image \(reference.text.debugDescription) was unpacked but is not in \(imagesDirectory.path)")
        }
        image.unpackedNow = true
        logger.info(
            "image fetched and unpacked",
            metadata: [
                "image": "\(reference.text)", "manifest": "\(manifestDigest)",
                "fetch_s": "\(String(format: "%.2f", fetched.timeIntervalSince(started)))",
                "unpack_s": "\(String(format: "%.2f", Date().timeIntervalSince(fetched)))",
            ]
        )
        return image
    }

    /// The unpacked image a source digest was recorded for, if it is still there.
    private func cached(_ reference: OCIImageReference, sourceDigest: String) throws -> OCIImage? {
        let record = sourcesDirectory.appendingPathComponent(Self.fileName(sourceDigest))
        guard let text = SandboxFiles.readText(record) else { return nil }
        let manifestDigest = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard OCIImageReference.isDigest(manifestDigest) else { return nil }
        let image = imageDirectory(manifestDigest)
        guard let data = FileManager.default.contents(atPath: image.appendingPathComponent("image.json").path),
            let configuration = try? JSONDecoder().decode(OCIImageConfiguration.self, from: data)
        else { return nil }
        return OCIImage(
            reference: reference, manifestDigest: manifestDigest, sourceDigest: sourceDigest,
            rootFilesystem: image.appendingPathComponent("rootfs", isDirectory: true), configuration: configuration, unpackedNow: false
        )
    }

    /// Unpacks the image in `layout` into `images/sha256-<hex>`, atomically.
    private func unpack(_ reference: OCIImageReference, layout: URL, manifestDigest: String) throws {
        let configuration = try readConfiguration(manifestDigest: manifestDigest, reference: reference)
        let bundle = unpackingDirectory.appendingPathComponent(Self.token(), isDirectory: true)
        defer { try? FileManager.default.removeItem(at: bundle) }
        // Rootless even as root: every file is the agent's, none keeps an image's uid (a host
        // user with that uid could change it), and no device node is created on the host.
        _ = try run(
            [umociPath!, "unpack", "--rootless", "--image", "\(layout.path):image", bundle.path], timeout: timeouts.unpackSeconds,
            failure: { result in
                ExecutorError(
                    "image_unpack_failed",
                    "could not unpack image \(reference.text.debugDescription) (\(manifestDigest)) into \(bundle.path) (umoci exit \(result.status)): \(result.stderr.isEmpty ? "no message" : result.stderr)"
                )
            }
        )
        let rootfs = bundle.appendingPathComponent("rootfs", isDirectory: true)
        // Jobs never write the image; no file of it may be changed or used to gain privileges by
        // a host user who can reach it (the lease uids must be able to traverse to it).
        _ = try run(["/bin/chmod", "-R", "go-w,ug-s", rootfs.path], timeout: timeouts.unpackSeconds) { result in
            ExecutorError("image_unpack_failed", "could not restrict the modes of \(rootfs.path): \(result.stderr)")
        }
        try cacheStep("prepare \(rootfs.path)") {
            try OCIImageMountPoints.prepare(rootfs: rootfs, workingDirectory: configuration.workingDirectory)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try SandboxFiles.writeAtomically(try encoder.encode(configuration), to: bundle.appendingPathComponent("image.json"), mode: 0o644)
            guard chmod(bundle.path, 0o711) == 0, chmod(rootfs.path, 0o755) == 0 else {
                throw ExecutorError("image_cache_failed", "could not set the modes of \(bundle.path): \(String(cString: strerror(errno)))")
            }
        }
        let target = imageDirectory(manifestDigest)
        if rename(bundle.path, target.path) != 0 {
            // Another start unpacked the same image first: its copy stands, ours goes.
            guard errno == EEXIST || errno == ENOTEMPTY, SandboxFiles.exists(target) else {
                throw ExecutorError("image_cache_failed", "could not move \(bundle.path) to \(target.path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The image config of the manifest `manifestDigest` in the shared blobs.
    private func readConfiguration(manifestDigest: String, reference: OCIImageReference) throws -> OCIImageConfiguration {
        struct Manifest: Decodable {
            struct Descriptor: Decodable { var digest: String }
            var config: Descriptor
        }
        func blob(_ digest: String) -> Data? {
            guard OCIImageReference.isDigest(digest) else { return nil }
            let url = blobsDirectory.appendingPathComponent("sha256").appendingPathComponent(String(digest.dropFirst(7)))
            guard let data = FileManager.default.contents(atPath: url.path), OCIImageDigest.sha256(data) == digest else { return nil }
            return data
        }
        // skopeo just wrote and checked these blobs: one missing or changed is the cache's fault.
        guard let manifestData = blob(manifestDigest) else {
            throw ExecutorError("image_cache_failed", "the manifest \(manifestDigest) of image \(reference.text.debugDescription) is missing or damaged in \(blobsDirectory.path): try again")
        }
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: manifestData) else {
            throw ExecutorError("image_invalid", "image \(reference.text.debugDescription) (\(manifestDigest)) has a manifest without a config")
        }
        guard let config = blob(manifest.config.digest) else {
            throw ExecutorError("image_cache_failed", "the config \(manifest.config.digest) of image \(reference.text.debugDescription) is missing or damaged in \(blobsDirectory.path): try again")
        }
        return try OCIImageConfiguration(configJSON: config)
    }

    /// Refuses a local image outside the operator's allowed directories.
    private func checkLocalPath(_ reference: OCIImageReference) throws {
        guard reference.transport != .registry else { return }
        let allowed = localImageDirectories.contains { directory in
            reference.name.hasPrefix(directory.path.hasSuffix("/") ? directory.path : directory.path + "/")
        }
        guard allowed else {
            throw ExecutorError(
                "image_reference_invalid",
                "image \(reference.text.debugDescription) names a local path, and this node serves no local images there: use a registry reference such as ghcr.io/org/trainer:1.2"
            )
        }
    }

    /// Runs `body` holding the lock of `sourceDigest` (`locks/sha256-<hex>`, an `flock`),
    /// waiting at most as long as a fetch and an unpack may take.
    private func exclusively<T>(_ sourceDigest: String, _ reference: OCIImageReference, _ body: () throws -> T) throws -> T {
        let path = locksDirectory.appendingPathComponent(Self.fileName(sourceDigest)).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ExecutorError("image_cache_failed", "could not open the lock \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }  // releases the lock
        let deadline = Date().addingTimeInterval(Double(timeouts.copySeconds + timeouts.unpackSeconds))
        var pause: UInt32 = 5_000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw ExecutorError("image_cache_failed", "could not lock \(path): \(String(cString: strerror(errno)))")
            }
            guard Date() < deadline else {
                throw ExecutorError("image_pull_failed", "another fetch of image \(reference.text.debugDescription) did not finish in time (lock \(path)): try again")
            }
            usleep(pause)
            pause = min(pause * 2, 200_000)
        }
        return try body()
    }

    private func prepareDirectories() throws {
        try cacheStep("prepare \(directory.path)") {
            try FileManager.default.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
            // The lease uids must pass through to images/…/rootfs, and read nothing else here.
            try SandboxFiles.makeDirectory(directory, mode: 0o711)
            try SandboxFiles.makeDirectory(imagesDirectory, mode: 0o711)
            for private_ in [blobsDirectory, pullsDirectory, unpackingDirectory, sourcesDirectory, locksDirectory, temporaryDirectory] {
                try SandboxFiles.makeDirectory(private_, mode: 0o700)
            }
            try SandboxFiles.makeDirectory(blobsDirectory.appendingPathComponent("sha256"), mode: 0o700)
            if !SandboxFiles.exists(policyFile) {
                // Our own trust policy, not the host's /etc/containers/policy.json (which may be
                // missing): integrity comes from digests (skopeo checks every blob's, the store
                // checks a pinned manifest's), not from signatures.
                try Self.writeShared(Data((#"{"default":[{"type":"insecureAcceptAnything"}]}"# + "\n").utf8), to: policyFile)
            }
        }
        removeStaleTemporaries()
    }

    /// Fetches and unpacks that died with an agent leave their directories; anything older than
    /// the longest a fetch and an unpack may take is such a leftover.
    private func removeStaleTemporaries() {
        let limit = Date().addingTimeInterval(-Double(2 * (timeouts.copySeconds + timeouts.unpackSeconds)))
        for parent in [pullsDirectory, unpackingDirectory, temporaryDirectory] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] {
                let url = parent.appendingPathComponent(name)
                if let modified = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date, modified < limit {
                    try? FileManager.default.removeItem(at: url)
                }
            }
        }
    }

    // MARK: - Helpers

    private func run(_ arguments: [String], timeout: Int, failure: (OCIImageTool.Result) -> ExecutorError) throws -> OCIImageTool.Result {
        let result = tool.run(arguments, timeoutSeconds: timeout)
        guard result.status == 0 else { throw failure(result) }
        return result
    }

    /// A skopeo failure, as the tenant's (`image_unavailable`) when the registry or file says the
    /// image is not there or not for us, else as the node's (`image_pull_failed`).
    func pullFailure(_ reference: OCIImageReference, _ result: OCIImageTool.Result, doing step: String) -> ExecutorError {
        let stderr = result.stderr.isEmpty ? "no message" : Self.skopeoMessage(result.stderr)
        if result.timedOut {
            return ExecutorError("image_pull_failed", "could not \(step) image \(reference.text.debugDescription): skopeo \(stderr)")
        }
        let code = Self.classifyPullError(stderr)
        let fix = code == "image_unavailable"
            ? "check the image exists and is public (or give its full registry name)" : "check the node's network and disk, then try again"
        return ExecutorError(code, "could not \(step) image \(reference.text.debugDescription) (skopeo exit \(result.status)): \(stderr): \(fix)")
    }

    /// The message of skopeo's log line (`time=… level=fatal msg="…"`), or its stderr as it is.
    static func skopeoMessage(_ stderr: String) -> String {
        guard let line = stderr.split(separator: "\n").last(where: { $0.contains("level=fatal") || $0.contains("level=error") }),
            let start = line.range(of: "msg=\"")
        else { return stderr }
        var message = line[start.upperBound...]
        if message.hasSuffix("\"") { message = message.dropLast() }
        return message.replacingOccurrences(of: "\\\"", with: "\"")
    }

    /// `image_digest_mismatch`, `image_unavailable` or `image_pull_failed`, from skopeo's stderr.
    static func classifyPullError(_ stderr: String) -> String {
        let text = stderr.lowercased()
        let node = ["no space left on device", "disk quota exceeded", "read-only file system", "too many open files", "cannot allocate memory"]
        if node.contains(where: text.contains) { return "image_pull_failed" }
        if text.contains("digest did not match") || text.contains("does not match digest") || (text.contains("manifest digest") && text.contains("match")) {
            return "image_digest_mismatch"
        }
        let tenant = [
            "manifest unknown", "name unknown", "not found", "no such file or directory", "requested access to the resource is denied",
            "unauthorized", "authentication required", "invalid reference format", "repository name must be", "no image found in",
            "choosing image instance", "does not match any", "no descriptor found", "unsupported mime type", "invalid image name",
            "no such image",
        ]
        return tenant.contains(where: text.contains) ? "image_unavailable" : "image_pull_failed"
    }

    private func cacheStep(_ what: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExecutorError {
            throw error
        } catch {
            throw ExecutorError("image_cache_failed", "could not \(what): \(error)")
        }
    }

    /// Writes `data` to `url` (mode 0600) through a temporary file of its own and a rename:
    /// several fetches (of this process or another) may write the same file at once.
    private static func writeShared(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(token()).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ExecutorError("image_cache_failed", "could not write \(temporary.path): check the disk and the store directory")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw ExecutorError("image_cache_failed", "could not rename \(temporary.path) to \(url.path): \(reason)")
        }
    }

    private static func token() -> String { "\(getpid())-\(UInt64.random(in: 0...UInt64.max))" }

    /// Runs `body` on a thread of its own (it blocks for as long as a fetch takes).
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "osg-image-store"
            thread.start()
        }
    }
}
