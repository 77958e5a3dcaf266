import Foundation
import Testing

@testable import OSGAgent

/// The image store's pure parts, without skopeo or umoci: references as a spec writes them, the
/// digest of manifests, what an image config says to run, and whose fault a skopeo error is.
@Suite("OCI image references, digests and configs")
struct OCIImageReferenceTests {
    static let digest = "sha256:" + String(repeating: "0123456789abcdef", count: 4)

    @Test("references parse into transport, name, tag and pin, and name the image to skopeo", arguments: [
        ("ghcr.io/org/trainer:1.2", OCIImageReference.Transport.registry, "ghcr.io/org/trainer", "1.2", nil, "docker://ghcr.io/org/trainer:1.2"),
        ("docker://ubuntu", .registry, "ubuntu", nil, nil, "docker://ubuntu"),
        ("localhost:5000/team/model", .registry, "localhost:5000/team/model", nil, nil, "docker://localhost:5000/team/model"),
        ("localhost:5000/team/model:v2", .registry, "localhost:5000/team/model", "v2", nil, "docker://localhost:5000/team/model:v2"),
        ("ghcr.io/org/trainer@\(digest)", .registry, "ghcr.io/org/trainer", nil, digest, "docker://ghcr.io/org/trainer@\(digest)"),
        ("ghcr.io/org/trainer:1.2@\(digest)", .registry, "ghcr.io/org/trainer", "1.2", digest, "docker://ghcr.io/org/trainer@\(digest)"),
        ("oci:/srv/images/layout:train", .layout, "/srv/images/layout", "train", nil, "oci:/srv/images/layout:train"),
        ("oci:/srv/images/layout", .layout, "/srv/images/layout", nil, nil, "oci:/srv/images/layout"),
        ("oci:/srv/images/layout:train@\(digest)", .layout, "/srv/images/layout", "train", digest, "oci:/srv/images/layout:train"),
        ("oci-archive:/srv/images/a.tar", .archive, "/srv/images/a.tar", nil, nil, "oci-archive:/srv/images/a.tar"),
    ] as [(String, OCIImageReference.Transport, String, String?, String?, String)])
    func parses(_ text: String, _ transport: OCIImageReference.Transport, _ name: String, _ tag: String?, _ pin: String?, _ skopeo: String) throws {
        let reference = try OCIImageReference(parsing: text)
        #expect(reference.transport == transport)
        #expect(reference.name == name)
        #expect(reference.tag == tag)
        #expect(reference.pinnedDigest == pin)
        #expect(reference.skopeoName == skopeo)
    }

    @Test("a registry image is copied by the digest it resolved to, so a moved tag cannot change it")
    func resolvedName() throws {
        let reference = try OCIImageReference(parsing: "ghcr.io/org/trainer:1.2")
        #expect(reference.skopeoName(resolvedDigest: Self.digest) == "docker://ghcr.io/org/trainer@\(Self.digest)")
        let local = try OCIImageReference(parsing: "oci:/srv/l:t")
        #expect(local.skopeoName(resolvedDigest: Self.digest) == "oci:/srv/l:t")
    }

    @Test("unusable references are refused as the tenant's, naming the reference", arguments: [
        "", "-oci:x", "--help", "a b", "repo\n", "ghcr.io/org/trainer@sha256:abc", "repo@md5:0123", "oci:relative/path:t",
        "oci:/srv/../etc:t", "oci:/srv/l:bad tag", "http://example.com/image", "/abs/path", "repo:", "UPPER:tag@" + digest.uppercased(),
        "ghcr.io//double", String(repeating: "a", count: 1025),
    ])
    func refuses(_ text: String) {
        let error = #expect(throws: ExecutorError.self) { try OCIImageReference(parsing: text) }
        #expect(error?.code == "image_reference_invalid")
        #expect(error.map(OCIImageStore.isJobFault) == true)
    }

    @Test("SHA-256 gives the published answers (FIPS 180-4 examples)", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func sha256(_ text: String, _ hex: String) {
        #expect(OCIImageDigest.sha256(Array(text.utf8)) == "sha256:" + hex)
    }

    @Test("an image config gives its Env, WorkingDir, Entrypoint and Cmd; missing parts are empty")
    func configuration() throws {
        let json = #"""
            {"architecture":"amd64","os":"linux","config":{"User":"1000","Env":["PATH=/opt/bin:/usr/bin","EMPTY=","bad"],
             "Entrypoint":["/entry.sh"],"Cmd":["serve","--port","80"],"WorkingDir":"app"},"rootfs":{"type":"layers","diff_ids":[]}}
            """#
        let configuration = try OCIImageConfiguration(configJSON: Data(json.utf8))
        #expect(configuration.environment == ["PATH=/opt/bin:/usr/bin", "EMPTY="])
        #expect(configuration.environmentVariables == ["PATH": "/opt/bin:/usr/bin", "EMPTY": ""])
        #expect(configuration.workingDirectory == "/app", "relative, read from the root as docker does")
        #expect(configuration.entrypoint == ["/entry.sh"] && configuration.command == ["serve", "--port", "80"])
        let bare = try OCIImageConfiguration(configJSON: Data(#"{"architecture":"amd64","os":"linux"}"#.utf8))
        #expect(bare == OCIImageConfiguration())
        let error = #expect(throws: ExecutorError.self) { try OCIImageConfiguration(configJSON: Data("[1]".utf8)) }
        #expect(error?.code == "image_invalid")
        let nul = #expect(throws: ExecutorError.self) {
            try OCIImageConfiguration(configJSON: Data(#"{"config":{"WorkingDir":"/a\u0000b"}}"#.utf8))
        }
        #expect(nul?.code == "image_invalid", "a NUL would break bubblewrap's arguments")
    }

    @Test("the command: the Entrypoint, then the spec's command or else the Cmd (as docker run IMAGE COMMAND)", arguments: [
        (["/entry.sh"], ["serve"], ["train", "--fast"], ["/entry.sh", "train", "--fast"] as [String]?),
        (["/entry.sh"], ["serve"], [], ["/entry.sh", "serve"]),
        ([], ["python3", "serve.py"], ["python3", "train.py"], ["python3", "train.py"]),
        ([], ["python3", "serve.py"], [], ["python3", "serve.py"]),
        (["/entry.sh"], [], [], ["/entry.sh"]),
        ([], [], ["run"], ["run"]),
        ([], [], [], nil),
        ([""], [], [], nil),
    ] as [([String], [String], [String], [String]?)])
    func command(_ entrypoint: [String], _ cmd: [String], _ given: [String], _ expected: [String]?) {
        #expect(OCIImageConfiguration(entrypoint: entrypoint, command: cmd).command(overriding: given) == expected)
    }

    @Test("skopeo's log line is reduced to its message")
    func skopeoMessage() {
        let line = #"time="2026-12-02T18:29:49Z" level=fatal msg="Error parsing image name \"oci:/tmp/m/L:absent\": no descriptor found for reference \"absent\"""#
        #expect(OCIImageStore.skopeoMessage(line) == #"Error parsing image name "oci:/tmp/m/L:absent": no descriptor found for reference "absent""#)
        #expect(OCIImageStore.skopeoMessage("plain text") == "plain text")
    }

    @Test("skopeo's errors: the image missing or not ours is the tenant's, anything else the node's", arguments: [
        ("reading manifest 1.2 in ghcr.io/org/x: manifest unknown", "image_unavailable"),
        ("initializing source docker://nope/x:1: reading manifest 1 in docker.io/nope/x: requested access to the resource is denied", "image_unavailable"),
        ("initializing source oci:/srv/l:t: open /srv/l/index.json: no such file or directory", "image_unavailable"),
        ("choosing image instance: no image found in image index for architecture amd64", "image_unavailable"),
        ("writing blob: happened during read: Digest did not match, expected sha256:ab, got sha256:cd", "image_digest_mismatch"),
        ("pinging container registry ghcr.io: Get \"https://ghcr.io/v2/\": dial tcp: lookup ghcr.io: no such host", "image_pull_failed"),
        ("reading blob sha256:ab: received unexpected HTTP status: 503 Service Unavailable", "image_pull_failed"),
        ("writing blob: write /var/lib/osg/images/blobs/sha256/x: no space left on device (not found in cache)", "image_pull_failed"),
    ])
    func classifies(_ stderr: String, _ code: String) {
        #expect(OCIImageStore.classifyPullError(stderr) == code)
    }
}
