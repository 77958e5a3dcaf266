import Crypto
import FuzzSupport
import OSGAuth
import OSGDomain

// Every write to the coordinator carries an Ed25519 signature in four headers (docs/API.md). The
// input is a request as text: `METHOD PATH`, header lines `Name: value`, a blank line, the body.
// Properties: reading the headers never crashes, hangs or allocates without bound; a request is
// accepted only with a valid signature over exactly its method, path and body; the same
// request a second time is refused as a replay.

let audience = RequestAudience(origin: "fuzz.example", genesisBytes: Array("genesis".utf8))
let now: Int64 = 1_795_000_000

/// The request text of a signed request (the format this harness reads).
func requestText(method: String, path: String, body: String, timestamp: Int64, nonce: String) throws -> [UInt8] {
    let signed = try SignedRequest.sign(for: audience, method: method, path: path, body: Array(body.utf8), timestamp: timestamp,
                                        nonce: nonce, with: FuzzKeys.participant)
    let headers = signed.headers.map { "\($0.name): \($0.value)\n" }.joined()
    return Array("\(method) \(path)\n\(headers)\n\(body)".utf8)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        [
            ("submit", try requestText(method: "POST", path: "/v1/jobs", body: #"{"spec": "name: x"}"#, timestamp: now, nonce: "nonce-0123456789abcdef")),
            ("empty-body", try requestText(method: "DELETE", path: "/v1/jobs/job-1", body: "", timestamp: now - 100, nonce: "n_0123456789abcdef-2")),
            ("stale", try requestText(method: "POST", path: "/v1/faucet", body: #"{"amount": 1}"#, timestamp: now - 10_000, nonce: "nonce-stale-0123456789")),
        ].map { (name: $0.0, bytes: $0.1) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, count)
    // Head and body split at the first blank line.
    var headEnd = bytes.count
    var bodyStart = bytes.count
    for index in bytes.indices.dropLast() where bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
        headEnd = index
        bodyStart = index + 2
        break
    }
    let head = FuzzInput.text(Array(bytes[..<headEnd])).split(separator: "\n", omittingEmptySubsequences: false)
    let body = Array(bytes[bodyStart...])
    guard let requestLine = head.first else { return 0 }
    let parts = requestLine.split(separator: " ", maxSplits: 1)
    guard parts.count == 2 else { return 0 }
    var headers: [(String, String)] = []
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
    }
    let parsed = SignedRequest.parse(for: audience, method: String(parts[0]), path: String(parts[1]), body: body) { name in
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    guard case .success(let request) = parsed else { return 0 }
    var verifier = RequestVerifier()
    guard case .success(let signer) = verifier.verify(request, now: now) else { return 0 }
    FuzzInput.require(request.hasValidSignature, "a request without a valid signature was accepted")
    FuzzInput.require(signer == request.signer, "accepted as \(signer), signed by \(request.signer)")
    FuzzInput.require(request.bodyDigest == Array(SHA256.hash(data: body)) && request.path == String(parts[1]),
                      "the accepted signature is not over this path and body")
    guard case .failure = verifier.verify(request, now: now) else {
        FuzzInput.require(false, "the same request was accepted twice (nonce \(request.nonce))")
        return 0
    }
    return 0
}

@_cdecl("FuzzSignedRequests_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
