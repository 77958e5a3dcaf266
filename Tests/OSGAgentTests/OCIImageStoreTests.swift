import Foundation
import Logging
import Testing

@testable import OSGAgent

#if canImport(Glibc)
import Glibc
#endif

/// The image store against this host's skopeo and umoci, with images the tests build: fetching
/// from a local layout and archive, the cache (layers and unpacked images reused), digest
/// pinning, the tenant's failures told from the node's, and concurrent fetches.
@Suite("OCI image store", .enabled(if: OCIImageTestSupport.toolsEnabled))
struct OCIImageStoreTests {
    typealias Support = OCIImageTestSupport

    @Test("an image from a local layout is fetched and unpacked: its files, its config, keyed by its manifest digest")
    func fetchesLayout() async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "first", command: ["/bin/sh", "-c", "echo hi"], environment: ["A=1"], workingDirectory: "/app")
        let store = try Support.makeStore(sandbox)
        let image = try await store.image(for: "oci:\(layout.path):t")
        #expect(image.unpackedNow)
        #expect(image.manifestDigest == (try Support.indexDigest(layout)))
        #expect(image.sourceDigest == image.manifestDigest, "an OCI manifest is copied as it is")
        #expect(image.rootFilesystem.path == store.directory.path + "/images/sha256-\(image.manifestDigest.dropFirst(7))/rootfs")
        #expect(try String(contentsOf: image.rootFilesystem.appendingPathComponent("etc/marker"), encoding: .utf8) == "first\n")
        #expect(image.configuration == OCIImageConfiguration(environment: ["A=1"], workingDirectory: "/app", command: ["/bin/sh", "-c", "echo hi"]))
        for mountPoint in ["work", "tmp", "proc", "dev", "app"] {
            #expect(Support.fileType(image.rootFilesystem.appendingPathComponent(mountPoint)) == S_IFDIR, "\(mountPoint) is a directory")
        }
        for file in ["etc/passwd", "etc/group", "etc/hosts", "etc/resolv.conf"] {
            #expect(Support.fileType(image.rootFilesystem.appendingPathComponent(file)) == S_IFREG, "\(file) is a file")
        }
        #expect(Support.entries(store.directory.appendingPathComponent("pulls")).isEmpty, "no fetch left behind")
        #expect(Support.entries(store.directory.appendingPathComponent("unpacking")).isEmpty, "no unpack left behind")
    }

    @Test("a second fetch of the image unpacks nothing: the same root filesystem, even if the reference is written differently")
    func cachedImage() async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "cached")
        let store = try Support.makeStore(sandbox)
        let first = try await store.image(for: "oci:\(layout.path):t")
        let inode = try Support.inode(first.rootFilesystem)
        let second = try await Support.makeStore(sandbox).image(for: "oci:\(layout.path):t")
        let pinned = try await store.image(for: "oci:\(layout.path):t@\(first.manifestDigest)")
        #expect(!second.unpackedNow && !pinned.unpackedNow)
        #expect(second.rootFilesystem == first.rootFilesystem && pinned.rootFilesystem == first.rootFilesystem)
        #expect(try Support.inode(second.rootFilesystem) == inode, "the directory was not replaced")
        #expect(Support.entries(store.directory.appendingPathComponent("images")).count == 1)
        // A pinned image seen before needs nothing from its source.
        try FileManager.default.removeItem(at: layout)
        let offline = try await store.image(for: "oci:\(layout.path):t@\(first.manifestDigest)")
        #expect(offline.rootFilesystem == first.rootFilesystem)
    }

    @Test("layers are shared: a second image with the same layer fetches only its own config and manifest")
    func sharedLayers() async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "shared", command: ["/bin/sh"])
        try Support.umoci(["config", "--image", "\(layout.path):t", "--tag", "u", "--config.env", "B=2"])
        let store = try Support.makeStore(sandbox)
        let blobs = store.directory.appendingPathComponent("blobs/sha256")
        let first = try await store.image(for: "oci:\(layout.path):t")
        let before = Support.entries(blobs)
        let second = try await store.image(for: "oci:\(layout.path):u")
        let added = Support.entries(blobs).subtracting(before)
        #expect(second.manifestDigest != first.manifestDigest && second.rootFilesystem != first.rootFilesystem)
        #expect(second.configuration.environment == ["B=2"])
        #expect(added.count == 2, "a new config and manifest, no layer: \(added)")
        #expect(added.contains(String(second.manifestDigest.dropFirst(7))))
    }

    @Test("an image from an OCI archive is fetched too")
    func fetchesArchive() async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "archived")
        let archive = sandbox.url.appendingPathComponent("image.tar")
        try Support.run(["/bin/tar", "-C", layout.path, "-cf", archive.path, "."])
        let image = try await Support.makeStore(sandbox).image(for: "oci-archive:\(archive.path)")
        #expect(try String(contentsOf: image.rootFilesystem.appendingPathComponent("etc/marker"), encoding: .utf8) == "archived\n")
    }

    @Test("a pinned digest the image does not have is refused, as the tenant's fault; nothing is unpacked")
    func digestMismatch() async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "pinned")
        let store = try Support.makeStore(sandbox)
        let wrong = "sha256:" + String(repeating: "ab", count: 32)
        let error = await #expect(throws: ExecutorError.self) { try await store.image(for: "oci:\(layout.path):t@\(wrong)") }
        #expect(error?.code == "image_digest_mismatch")
        let actual = try Support.indexDigest(layout)
        #expect(error?.message.contains(wrong) == true && error?.message.contains(actual) == true)
        #expect(error.map(OCIImageStore.isJobFault) == true)
        #expect(Support.entries(store.directory.appendingPathComponent("images")).isEmpty)
        let right = try await store.image(for: "oci:\(layout.path):t@\(try Support.indexDigest(layout))")
        #expect(right.unpackedNow)
    }

    @Test("a layer whose bytes do not match its digest is refused")
    func corruptLayer() async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "corrupt")
        let layer = try Support.layerDigest(layout)
        let file = layout.appendingPathComponent("blobs/sha256/\(layer.dropFirst(7))")
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: file)
        let store = try Support.makeStore(sandbox)
        let error = await #expect(throws: ExecutorError.self) { try await store.image(for: "oci:\(layout.path):t") }
        #expect(error?.code == "image_digest_mismatch", "\(String(describing: error))")
        #expect(Support.entries(store.directory.appendingPathComponent("images")).isEmpty)
        #expect(!Support.entries(store.directory.appendingPathComponent("blobs/sha256")).contains(String(layer.dropFirst(7))), "the bad layer is not cached")
    }

    @Test("a missing image is the tenant's fault, named with skopeo's message", arguments: ["missing-layout", "missing-tag"])
    func missingImage(_ which: String) async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "present")
        let reference = which == "missing-tag" ? "oci:\(layout.path):nope" : "oci:\(sandbox.url.path)/absent:t"
        let error = await #expect(throws: ExecutorError.self) { try await Support.makeStore(sandbox).image(for: reference) }
        #expect(error?.code == "image_unavailable", "\(String(describing: error))")
        #expect(error?.message.contains(reference) == true)
        #expect(error?.message.contains("skopeo exit") == true)
        #expect(error.map(OCIImageStore.isJobFault) == true)
    }

    @Test("a local image outside the operator's directories, or an unparsable reference, is refused before any tool runs")
    func refusedReferences() async throws {
        let sandbox = try Support.Scratch()
        let store = try Support.makeStore(sandbox)
        for reference in ["oci:/etc:t", "oci-archive:/etc/shadow", "oci:\(sandbox.url.path)/../x:t", "-v", "a b", "repo@sha256:12"] {
            let error = await #expect(throws: ExecutorError.self) { try await store.image(for: reference) }
            #expect(error?.code == "image_reference_invalid", "\(reference): \(String(describing: error))")
        }
    }

    @Test("missing tools are the node's fault, naming the packages")
    func toolsMissing() async throws {
        let sandbox = try Support.Scratch()
        var logger = Logger(label: "osg.image.test")
        logger.logLevel = .warning
        let store = OCIImageStore(directory: sandbox.url.appendingPathComponent("store"), skopeoPath: "/nonexistent/skopeo", umociPath: nil, logger: logger)
        let error = await #expect(throws: ExecutorError.self) { try await store.image(for: "ghcr.io/org/trainer:1.2") }
        #expect(error?.code == "image_tools_missing")
        #expect(error?.message.contains("apt-get install skopeo umoci") == true)
        #expect(error.map(OCIImageStore.isJobFault) == false)
    }

    @Test("concurrent fetches of one image, by stores sharing a directory, leave one complete root filesystem")
    func concurrentFetches() async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "race")
        let stores = try (0..<4).map { _ in try Support.makeStore(sandbox) }
        let images = try await withThrowingTaskGroup(of: OCIImage.self) { group in
            for store in stores { group.addTask { try await store.image(for: "oci:\(layout.path):t") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(images.map(\.rootFilesystem)).count == 1)
        let root = try #require(images.first).rootFilesystem
        #expect(try String(contentsOf: root.appendingPathComponent("etc/marker"), encoding: .utf8) == "race\n")
        #expect(Support.entries(stores[0].directory.appendingPathComponent("images")).count == 1)
        #expect(Support.entries(stores[0].directory.appendingPathComponent("unpacking")).isEmpty, "the losers' copies are gone")
        #expect(Support.entries(stores[0].directory.appendingPathComponent("pulls")).isEmpty)
    }

    @Test("an unpacked image holds nothing a host user could abuse: no setuid bit, nothing group- or world-writable, mount points not symlinks")
    func hardenedRootFilesystem() async throws {
        let sandbox = try Support.Scratch()
        let layout = try Support.makeImage(in: sandbox.url, marker: "hard") { rootfs in
            let tool = rootfs.appendingPathComponent("bin/tool")
            try Data("#!/bin/sh\n".utf8).write(to: tool)
            chmod(tool.path, 0o4777)
            try FileManager.default.createSymbolicLink(atPath: rootfs.appendingPathComponent("etc/hosts").path, withDestinationPath: "/etc/shadow")
            try FileManager.default.createSymbolicLink(atPath: rootfs.appendingPathComponent("tmp").path, withDestinationPath: "/var/tmp")
        }
        let image = try await Support.makeStore(sandbox).image(for: "oci:\(layout.path):t")
        var info = stat()
        #expect(stat(image.rootFilesystem.appendingPathComponent("bin/tool").path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o755, "setuid and write bits removed: \(String(info.st_mode & 0o7777, radix: 8))")
        #expect(Support.fileType(image.rootFilesystem.appendingPathComponent("etc/hosts")) == S_IFREG)
        #expect(Support.fileType(image.rootFilesystem.appendingPathComponent("tmp")) == S_IFDIR)
        #expect(FileManager.default.fileExists(atPath: "/etc/shadow"), "the host's file is untouched")
    }
}

/// Building tiny OCI images for the tests, from this host's `/bin/sh` (dash on Debian) and the
/// libraries it loads, with umoci; and the rule that on CI (`CI` set) missing tools fail the
/// tests instead of skipping them.
enum OCIImageTestSupport {
    static let toolsUsable: Bool = OCIImageStore.toolPath("skopeo") != nil && OCIImageStore.toolPath("umoci") != nil
    /// Whether the store tests run: the tools are here, or we are on CI (where they must then fail).
    static let toolsEnabled: Bool = toolsUsable || ProcessInfo.processInfo.environment["CI"] != nil
    /// Whether the image sandbox tests run: bubblewrap and the tools work, or we are on CI.
    static let sandboxEnabled: Bool = (toolsUsable && SandboxExecutor.isUsable) || ProcessInfo.processInfo.environment["CI"] != nil

    /// Throws why images cannot be used here, naming CI.
    static func requireTools() throws {
        guard toolsUsable else {
            throw ExecutorError("image_tools_unusable_on_ci", "CI is set but skopeo or umoci is missing: apt-get install skopeo umoci")
        }
    }

    /// A temporary directory removed when the value goes away (kept if `OSG_TEST_KEEP` is set, to
    /// look at what a failing test left).
    final class Scratch: Sendable {
        let url: URL
        init() throws {
            try requireTools()
            url = FileManager.default.temporaryDirectory.appendingPathComponent("osg-image-test-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            // The lease uids pass through to the images unpacked under it.
            chmod(url.path, 0o711)
        }
        deinit { if ProcessInfo.processInfo.environment["OSG_TEST_KEEP"] == nil { try? FileManager.default.removeItem(at: url) } }
    }

    static func makeStore(_ scratch: Scratch, directory: String = "state/images") throws -> OCIImageStore {
        var logger = Logger(label: "osg.image.test")
        logger.logLevel = .warning
        return OCIImageStore(directory: scratch.url.appendingPathComponent(directory), localImageDirectories: [scratch.url], logger: logger)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL = FileManager.default.temporaryDirectory) throws -> String {
        let result = OCIImageTool(temporaryDirectory: directory.path).run(arguments, timeoutSeconds: 60)
        guard result.status == 0 else { throw Failure(description: "\(arguments.joined(separator: " ")): exit \(result.status): \(result.stderr)") }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    static func umoci(_ arguments: [String]) throws {
        try run([try #require(OCIImageStore.toolPath("umoci"))] + arguments)
    }

    /// An OCI layout at `<directory>/layout` with tag `t`: one layer holding `/bin/sh` and its
    /// libraries, `/etc/marker` (`marker`), whatever `customize` adds, and the given config.
    static func makeImage(
        in directory: URL, marker: String, entrypoint: [String]? = nil, command: [String]? = nil, environment: [String] = [],
        workingDirectory: String? = nil, customize: (URL) throws -> Void = { _ in }
    ) throws -> URL {
        let layout = directory.appendingPathComponent("layout", isDirectory: true)
        let bundle = directory.appendingPathComponent("bundle-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: bundle) }
        try umoci(["init", "--layout", layout.path])
        try umoci(["new", "--image", "\(layout.path):t"])
        try umoci(["unpack", "--rootless", "--image", "\(layout.path):t", bundle.path])
        let rootfs = bundle.appendingPathComponent("rootfs", isDirectory: true)
        try copyShell(into: rootfs)
        try Data("\(marker)\n".utf8).write(to: rootfs.appendingPathComponent("etc/marker"))
        try customize(rootfs)
        try umoci(["repack", "--image", "\(layout.path):t", bundle.path])
        var config: [String] = []
        if let entrypoint { config += entrypoint.map { "--config.entrypoint=\($0)" } }
        if let command { config += command.map { "--config.cmd=\($0)" } }
        config += environment.map { "--config.env=\($0)" }
        if let workingDirectory { config += ["--config.workingdir=\(workingDirectory)"] }
        if !config.isEmpty { try umoci(["config", "--image", "\(layout.path):t"] + config) }
        return layout
    }

    /// `/bin/sh` and the shared libraries `ldd` names for it, at their paths.
    static func copyShell(into rootfs: URL) throws {
        let shell = URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().path
        var files = [(source: shell, target: "/bin/sh")]
        for line in try run(["/usr/bin/ldd", shell]).split(separator: "\n") {
            let path = line.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.hasPrefix("/") }
            if let path { files.append((URL(fileURLWithPath: path).resolvingSymlinksInPath().path, path)) }
        }
        for directory in ["bin", "etc"] {
            try FileManager.default.createDirectory(at: rootfs.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        for (source, target) in files {
            let destination = rootfs.appendingPathComponent(String(target.dropFirst()))
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: source, toPath: destination.path)
            chmod(destination.path, 0o755)
        }
    }

    /// The digest of the manifest tagged `t` in `layout`.
    static func indexDigest(_ layout: URL, tag: String = "t") throws -> String {
        struct Index: Decodable {
            struct Entry: Decodable {
                var digest: String
                var annotations: [String: String]?
            }
            var manifests: [Entry]
        }
        let index = try JSONDecoder().decode(Index.self, from: Data(contentsOf: layout.appendingPathComponent("index.json")))
        return try #require(index.manifests.first { $0.annotations?["org.opencontainers.image.ref.name"] == tag }).digest
    }

    /// The digest of the (only) layer of the image tagged `t`.
    static func layerDigest(_ layout: URL) throws -> String {
        struct Manifest: Decodable {
            struct Descriptor: Decodable { var digest: String }
            var layers: [Descriptor]
        }
        let manifest = try indexDigest(layout)
        let data = try Data(contentsOf: layout.appendingPathComponent("blobs/sha256/\(manifest.dropFirst(7))"))
        return try #require(JSONDecoder().decode(Manifest.self, from: data).layers.last).digest
    }

    static func entries(_ directory: URL) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
    }

    static func fileType(_ url: URL) -> mode_t? {
        var info = stat()
        return lstat(url.path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    static func inode(_ url: URL) throws -> UInt {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { throw Failure(description: "no \(url.path)") }
        return UInt(info.st_ino)
    }
}
