import Foundation
import Logging
import Testing

@testable import OSGAgent

#if canImport(Glibc)
import Glibc
#endif

/// Jobs with an image, through the real sandbox executor: the job sees the image's files and not
/// the host's, runs the image's command as the spec overrides it, and an image the tenant got
/// wrong ends the job (not the node) with the reason in its output.
@Suite("Sandbox executor with OCI images", .enabled(if: OCIImageTestSupport.sandboxEnabled))
struct OCIImageExecutorTests {
    typealias Support = OCIImageTestSupport
    typealias Sandbox = SandboxTestSupport

    /// An executor whose state is in `scratch` and whose store serves local images from it.
    static func makeExecutor(_ scratch: Support.Scratch) throws -> SandboxExecutor {
        try Sandbox.requireSandbox()
        var logger = Logger(label: "osg.image.test")
        logger.logLevel = .warning
        let base = 0x7100_0000 + UInt32.random(in: 0..<512) * SandboxExecutor.jobUIDCount
        return SandboxExecutor(
            stateDirectory: scratch.url.appendingPathComponent("state"), jobUIDBase: base, imageStore: try Support.makeStore(scratch),
            logger: logger
        )
    }

    static func work(_ leaseID: String, image: String, command: [String] = [], environment: [String: String] = [:]) -> LeaseWork {
        LeaseWork(
            leaseID: leaseID, jobID: "job-\(leaseID)", jobName: "test", command: command, image: image, cpuCores: 1, memoryGiB: 1,
            environment: environment, maxDurationSeconds: 30
        )
    }

    @Test("a job runs in its image: the image's files and not the host's, its Env and WorkingDir, its Cmd, output and exit code")
    func runsInImage() async throws {
        let scratch = try Support.Scratch()
        let script = """
            echo RUNNING; pwd; echo "VAR=$IMAGE_VAR PATH=$PATH"; read marker < /etc/marker; echo "MARKER=$marker"
            [ -e /etc/debian_version ] && echo HOST_ETC; [ -e /usr/bin/bash ] && echo HOST_USR; [ -e /bin/bash ] && echo HOST_BIN
            echo out > /work/result && echo WORK_OK; echo x > /tmp/t && echo TMP_OK; echo x > /etc/marker 2>/dev/null && echo WROTE_IMAGE
            read user < /etc/passwd; echo "USER=${user%%:*}"; exit 3
            """
        let layout = try Support.makeImage(
            in: scratch.url, marker: "in-image", command: ["/bin/sh", "-c", script], environment: ["IMAGE_VAR=from-image", "PATH=/bin:/opt/bin"],
            workingDirectory: "/app"
        )
        let executor = try Self.makeExecutor(scratch)
        let job = try await executor.start(Self.work("image", image: "oci:\(layout.path):t"))
        #expect(try await Sandbox.exit(of: job) == .exited(code: 3))
        let lines = try await Sandbox.output(of: job).map(\.text)
        #expect(lines.first == "RUNNING")
        #expect(lines.contains("/app"), "the image's WorkingDir: \(lines)")
        #expect(lines.contains("VAR=from-image PATH=/bin:/opt/bin"), "the image's Env, its PATH included")
        #expect(lines.contains("MARKER=in-image"))
        #expect(!lines.contains { $0.hasPrefix("HOST_") }, "nothing of the host's system: \(lines)")
        #expect(lines.contains("WORK_OK") && lines.contains("TMP_OK"))
        #expect(!lines.contains("WROTE_IMAGE"), "the image is read-only")
        #expect(lines.contains("USER=osg"), "the job's own user, not the image's accounts")
        let result = scratch.url.appendingPathComponent("state/leases/image/work/result")
        #expect(FileManager.default.contents(atPath: result.path) == Data("out\n".utf8))
        let rootfs = try #require(Support.entries(scratch.url.appendingPathComponent("state/images/images")).first)
        let marker = scratch.url.appendingPathComponent("state/images/images/\(rootfs)/rootfs/etc/marker")
        #expect(try String(contentsOf: marker, encoding: .utf8) == "in-image\n", "the shared image is unchanged")
    }

    @Test("the spec's command replaces the image's Cmd and follows its Entrypoint; the spec's environment wins over the image's")
    func commandOverride() async throws {
        let scratch = try Support.Scratch()
        let layout = try Support.makeImage(
            in: scratch.url, marker: "entry", entrypoint: ["/bin/sh", "-c", "echo \"ENTRY $VAR $*\"", "entry"], command: ["default", "args"],
            environment: ["VAR=image"]
        )
        let executor = try Self.makeExecutor(scratch)
        let image = "oci:\(layout.path):t"
        let imageCommand = try await executor.start(Self.work("cmd", image: image))
        let given = try await executor.start(Self.work("given", image: image, command: ["mine"], environment: ["VAR": "spec"]))
        #expect(try await Sandbox.exit(of: imageCommand) == .exited(code: 0))
        #expect(try await Sandbox.exit(of: given) == .exited(code: 0))
        #expect(try await Sandbox.output(of: imageCommand).map(\.text) == ["ENTRY image default args"])
        #expect(try await Sandbox.output(of: given).map(\.text) == ["ENTRY spec mine"])
    }

    @Test("two leases of one image started at once both run, in the one root filesystem unpacked for them; a later start unpacks nothing")
    func concurrentStarts() async throws {
        let scratch = try Support.Scratch()
        let layout = try Support.makeImage(in: scratch.url, marker: "shared", command: ["/bin/sh", "-c", "read m < /etc/marker; echo $m"])
        let executor = try Self.makeExecutor(scratch)
        let image = "oci:\(layout.path):t"
        async let first = executor.start(Self.work("first", image: image))
        async let second = executor.start(Self.work("second", image: image))
        let jobs = try await [first, second]
        for job in jobs {
            #expect(try await Sandbox.exit(of: job) == .exited(code: 0))
            #expect(try await Sandbox.output(of: job).map(\.text) == ["shared"])
        }
        let images = scratch.url.appendingPathComponent("state/images/images")
        let unpacked = Support.entries(images)
        #expect(unpacked.count == 1)
        let inode = try Support.inode(images.appendingPathComponent(try #require(unpacked.first)))
        let third = try await executor.start(Self.work("third", image: image))
        #expect(try await Sandbox.exit(of: third) == .exited(code: 0))
        #expect(Support.entries(images) == unpacked)
        #expect(try Support.inode(images.appendingPathComponent(try #require(unpacked.first))) == inode, "the cached image was used as it was")
    }

    @Test("an image the tenant got wrong ends the job with exit 125 and the reason on its stderr; nothing runs", arguments: [
        "missing", "mismatch", "no-command", "local-path",
    ])
    func tenantFailures(_ which: String) async throws {
        let scratch = try Support.Scratch()
        let layout = try Support.makeImage(in: scratch.url, marker: "x")
        let (reference, code): (String, String) =
            switch which {
            case "missing": ("oci:\(layout.path):absent", "image_unavailable")
            case "mismatch": ("oci:\(layout.path):t@sha256:\(String(repeating: "0", count: 64))", "image_digest_mismatch")
            case "no-command": ("oci:\(layout.path):t", "image_no_command")
            default: ("oci:/var/lib:t", "image_reference_invalid")
            }
        let executor = try Self.makeExecutor(scratch)
        let work = Self.work("wrong", image: reference)
        let job = try await executor.start(work)
        #expect(try await Sandbox.exit(of: job) == .exited(code: SandboxExecutor.imageRefusedExitCode))
        let lines = try await Sandbox.output(of: job)
        #expect(lines.count == 1 && lines.first?.stream == .stderr)
        #expect(lines.first?.text.contains(code) == true, "\(lines)")
        #expect(lines.first?.text.contains(reference) == true)
        // An ended lease like any other: found again, not started twice, cleaned up.
        #expect(try await executor.start(work) as? SandboxJob === job as? SandboxJob)
        let again = try Self.makeExecutor(scratch)
        #expect(try await again.runningJobs()["wrong"]?.exit() == .exited(code: SandboxExecutor.imageRefusedExitCode))
        try await executor.cleanUp(leaseID: "wrong")
        #expect(try await executor.runningJobs().isEmpty)
    }

    @Test("an image this node cannot fetch for its own reasons (tools missing) fails the start: a node fault, nothing left behind")
    func nodeFailure() async throws {
        let scratch = try Support.Scratch()
        try Sandbox.requireSandbox()
        var logger = Logger(label: "osg.image.test")
        logger.logLevel = .error
        let store = OCIImageStore(directory: scratch.url.appendingPathComponent("state/images"), umociPath: "/nonexistent/umoci", logger: logger)
        let executor = SandboxExecutor(stateDirectory: scratch.url.appendingPathComponent("state"), imageStore: store, logger: logger)
        let error = await #expect(throws: ExecutorError.self) {
            try await executor.start(Self.work("tools", image: "ghcr.io/org/trainer:1.2", command: ["true"]))
        }
        #expect(error?.code == "image_tools_missing")
        #expect(try await executor.runningJobs().isEmpty)
    }
}

extension OCIImageExecutorTests {
    @Test("a command the image does not have ends the job with 127 and bubblewrap's message: the job's mistake, not a node fault")
    func commandNotInImage() async throws {
        let scratch = try Support.Scratch()
        let layout = try Support.makeImage(in: scratch.url, marker: "x", command: ["/bin/sh"])
        let executor = try Self.makeExecutor(scratch)
        let job = try await executor.start(Self.work("absent", image: "oci:\(layout.path):t", command: ["python3", "train.py"]))
        #expect(try await Sandbox.exit(of: job) == .exited(code: 127))
        let lines = try await Sandbox.output(of: job)
        #expect(lines.contains { $0.stream == .stderr && $0.text.contains("python3") }, "\(lines)")
    }
}

/// The pull path against a real registry, where one is reachable: set `OSG_TEST_REGISTRY_IMAGE`
/// to an image with a `/bin/sh` (e.g. `docker.io/library/busybox:1.36`, or a local registry's).
@Suite(
    "Sandbox executor with a registry image",
    .enabled(if: ProcessInfo.processInfo.environment["OSG_TEST_REGISTRY_IMAGE"] != nil && OCIImageTestSupport.sandboxEnabled)
)
struct OCIImageRegistryTests {
    @Test("an image from the registry is pulled, unpacked and run; the second start uses the cache")
    func pullsAndRuns() async throws {
        let reference = try #require(ProcessInfo.processInfo.environment["OSG_TEST_REGISTRY_IMAGE"])
        let scratch = try OCIImageTestSupport.Scratch()
        let executor = try OCIImageExecutorTests.makeExecutor(scratch)
        let first = try await executor.start(OCIImageExecutorTests.work("pull", image: reference, command: ["/bin/sh", "-c", "echo REGISTRY_OK"]))
        #expect(try await SandboxTestSupport.exit(of: first, within: 30) == .exited(code: 0))
        #expect(try await SandboxTestSupport.output(of: first).map(\.text) == ["REGISTRY_OK"])
        let image = try await executor.imageStore.image(for: reference)
        #expect(!image.unpackedNow)
        let pinned = try await executor.imageStore.image(for: "\(image.reference.name)@\(image.sourceDigest)")
        #expect(pinned.rootFilesystem == image.rootFilesystem)
    }
}
