import Crypto
import OSGAuth
import OSGDomain
import Testing

let now: Int64 = 1_795_000_000
/// The coordinator the tests' requests are meant for.
let audience = RequestAudience(origin: "osg.test/log", genesisBytes: Array(#"{"governanceID":"test"}"#.utf8))

func signed(
    _ key: Curve25519.Signing.PrivateKey, body: String = #"{"spec":"..."}"#, path: String = "/v1/jobs",
    at timestamp: Int64 = now, nonce: String = "nonce-0000000001", for target: RequestAudience = audience
) throws -> SignedRequest {
    try SignedRequest.sign(for: target, method: "post", path: path, body: Array(body.utf8), timestamp: timestamp, nonce: nonce, with: key)
}

/// The server's view: the request rebuilt from its headers and the body it received.
func received(_ request: SignedRequest, body: String = #"{"spec":"..."}"#, path: String? = nil, method: String = "POST",
              at server: RequestAudience = audience) -> Result<SignedRequest, AuthFailure> {
    let headers = Dictionary(uniqueKeysWithValues: request.headers.map { ($0.name.lowercased(), $0.value) })
    return SignedRequest.parse(for: server, method: method, path: path ?? request.path, body: Array(body.utf8)) { headers[$0.lowercased()] }
}

@Suite("Signed requests: authenticated writes, replays refused")
struct RequestVerifierTests {
    @Test("a fresh, correctly signed request is accepted once, then refused as a replay")
    func acceptOnceThenReplay() throws {
        let key = Curve25519.Signing.PrivateKey()
        var verifier = RequestVerifier(windowSeconds: 120)
        let request = try received(try signed(key)).get()
        #expect(try verifier.verify(request, now: now).get() == Identity(publicKey: key.publicKey))
        #expect(verifier.verify(request, now: now + 1).failureCode == .nonceReused)
    }

    @Test("any change to method, path or body breaks the signature")
    func tampering() throws {
        let key = Curve25519.Signing.PrivateKey()
        var verifier = RequestVerifier()
        let request = try signed(key)
        #expect(verifier.verify(try received(request, body: #"{"spec":"other"}"#).get(), now: now).failureCode == .badSignature)
        #expect(verifier.verify(try received(request, path: "/v1/jobs/job-1/cancel").get(), now: now).failureCode == .badSignature)
        #expect(verifier.verify(try received(request, method: "DELETE").get(), now: now).failureCode == .badSignature)
        var otherSigner = try received(request).get()
        otherSigner.signer = Identity(publicKey: Curve25519.Signing.PrivateKey().publicKey)
        #expect(verifier.verify(otherSigner, now: now).failureCode == .badSignature)
        #expect(verifier.rememberedNonceCount == 0, "refused requests burn no nonce")
        #expect(try verifier.verify(try received(request).get(), now: now).get() == Identity(publicKey: key.publicKey))
    }

    @Test("timestamps outside the window are refused either way")
    func window() throws {
        let key = Curve25519.Signing.PrivateKey()
        var verifier = RequestVerifier(windowSeconds: 60)
        #expect(verifier.verify(try signed(key, at: now - 61), now: now).failureCode == .staleTimestamp)
        #expect(verifier.verify(try signed(key, at: now + 61), now: now).failureCode == .futureTimestamp)
        #expect((try? verifier.verify(try signed(key, at: now - 60), now: now).get()) != nil)
    }

    @Test("nonces are forgotten once their timestamps leave the window, and replays stay refused")
    func boundedMemory() throws {
        let key = Curve25519.Signing.PrivateKey()
        var verifier = RequestVerifier(windowSeconds: 10)
        for index in 0..<50 {
            let request = try signed(key, at: now + Int64(index), nonce: "nonce-\(String(1_000_000_000 + index))")
            #expect((try? verifier.verify(request, now: now + Int64(index)).get()) != nil)
        }
        #expect(verifier.rememberedNonceCount <= 12)
        // The very first request, replayed now, is stale rather than forgotten-and-accepted.
        #expect(verifier.verify(try signed(key, at: now, nonce: "nonce-1000000000"), now: now + 49).failureCode == .staleTimestamp)
    }

    @Test("one key cannot grow the nonce table without bound")
    func perKeyBound() throws {
        let key = Curve25519.Signing.PrivateKey()
        var verifier = RequestVerifier(windowSeconds: 100, maxNoncesPerKey: 3)
        for index in 0..<3 {
            #expect((try? verifier.verify(try signed(key, nonce: "nonce-000000000\(index)"), now: now).get()) != nil)
        }
        #expect(verifier.verify(try signed(key, nonce: "nonce-0000000009"), now: now).failureCode == .tooManyNonces)
        let other = Curve25519.Signing.PrivateKey()
        #expect((try? verifier.verify(try signed(other, nonce: "nonce-0000000009"), now: now).get()) != nil)
    }

    @Test("missing and malformed headers are named", arguments: [
        ("OSG-Key", "zz", AuthFailureCode.malformedHeader),
        ("OSG-Timestamp", "yesterday", .malformedHeader),
        ("OSG-Nonce", "short", .malformedHeader),
        ("OSG-Nonce", "has spaces in it!!", .malformedHeader),
        ("OSG-Signature", "abcd", .malformedHeader),
        ("OSG-Signature", nil, .missingHeader),
        ("OSG-Key", nil, .missingHeader),
    ] as [(String, String?, AuthFailureCode)])
    func headers(name: String, value: String?, code: AuthFailureCode) throws {
        let request = try signed(Curve25519.Signing.PrivateKey())
        var headers = Dictionary(uniqueKeysWithValues: request.headers.map { ($0.name, $0.value) })
        headers[name] = value
        let result = SignedRequest.parse(for: audience, method: "POST", path: "/v1/jobs", body: []) { headers[$0] }
        guard case .failure(let failure) = result else {
            Issue.record("expected \(code) for \(name)=\(value ?? "nil")")
            return
        }
        #expect(failure.code == code)
        #expect(failure.message.contains(name))
    }
}

extension Result where Failure == AuthFailure {
    var failureCode: AuthFailureCode? {
        if case .failure(let failure) = self { return failure.code }
        return nil
    }
}

@Suite("Nonce memory is bounded across keys, and forgetting never lets a replay through")
struct NonceMemoryBoundTests {
    @Test("past the total bound the oldest nonce is forgotten, and requests as old as it are refused as stale")
    func totalBound() throws {
        var verifier = RequestVerifier(windowSeconds: 120, maxNoncesPerKey: 10, maxNoncesTotal: 3)
        // Fresh keys cost nothing: four of them, one request each, one second apart.
        let keys = (0..<4).map { _ in Curve25519.Signing.PrivateKey() }
        let requests = try keys.enumerated().map { index, key in try received(try signed(key, at: now + Int64(index))).get() }
        for (index, request) in requests.enumerated() {
            #expect((try? verifier.verify(request, now: now + 4).get()) != nil, "request \(index)")
            #expect(verifier.rememberedNonceCount <= 3)
        }
        #expect(verifier.rememberedNonceCount == 3)
        // The first nonce was forgotten: its replay is refused all the same, as stale.
        #expect(verifier.verify(requests[0], now: now + 5).failureCode == .staleTimestamp)
        // The others are remembered: replays refused as such.
        #expect(verifier.verify(requests[3], now: now + 5).failureCode == .nonceReused)
        // A new request as old as the forgotten one is refused; a current one is accepted.
        let late = try received(try signed(Curve25519.Signing.PrivateKey(), at: now, nonce: "nonce-0000000002")).get()
        #expect(verifier.verify(late, now: now + 5).failureCode == .staleTimestamp)
        let current = try received(try signed(Curve25519.Signing.PrivateKey(), at: now + 5, nonce: "nonce-0000000003")).get()
        #expect((try? verifier.verify(current, now: now + 5).get()) != nil)
        #expect(verifier.rememberedNonceCount == 3)
    }

    @Test("within the window nonces expire as before, and the count follows")
    func countFollowsExpiry() throws {
        var verifier = RequestVerifier(windowSeconds: 60, maxNoncesPerKey: 10, maxNoncesTotal: 100)
        let request = try received(try signed(Curve25519.Signing.PrivateKey())).get()
        #expect((try? verifier.verify(request, now: now).get()) != nil)
        #expect(verifier.rememberedNonceCount == 1)
        let later = try received(try signed(Curve25519.Signing.PrivateKey(), at: now + 100)).get()
        #expect((try? verifier.verify(later, now: now + 100).get()) != nil)
        #expect(verifier.rememberedNonceCount == 1, "the first nonce left the window")
    }

    @Test("a request signed for another coordinator (origin or genesis) is refused")
    func boundToOneCoordinator() throws {
        let key = Curve25519.Signing.PrivateKey()
        let otherOrigin = RequestAudience(origin: "osg.other/log", genesisDigest: audience.genesisDigest)
        let otherGenesis = RequestAudience(origin: audience.origin, genesisBytes: Array(#"{"governanceID":"another"}"#.utf8))
        for target in [otherOrigin, otherGenesis] {
            var verifier = RequestVerifier()
            let request = try signed(key, for: target)
            #expect(verifier.verify(try received(request).get(), now: now).failureCode == .badSignature)
            // The coordinator it was meant for accepts it.
            #expect((try? verifier.verify(try received(request, at: target).get(), now: now).get()) != nil)
        }
    }

    @Test("a request signed with the old OSG-REQUEST-V1 string is refused, and the refusal names V2")
    func versionOneRefused() throws {
        let key = Curve25519.Signing.PrivateKey()
        let body = Array(#"{"spec":"..."}"#.utf8)
        let digest = Hex.encode(Array(SHA256.hash(data: body)))
        let message = Array("OSG-REQUEST-V1\nPOST\n/v1/jobs\n\(digest)\n\(now)\nnonce-0000000001".utf8)
        let headers = [
            "osg-key": Identity(publicKey: key.publicKey).id, "osg-timestamp": String(now), "osg-nonce": "nonce-0000000001",
            "osg-signature": Hex.encode(Array(try key.signature(for: message))),
        ]
        let request = try SignedRequest.parse(for: audience, method: "POST", path: "/v1/jobs", body: body) { headers[$0.lowercased()] }.get()
        var verifier = RequestVerifier()
        let result = verifier.verify(request, now: now)
        #expect(result.failureCode == .badSignature)
        if case .failure(let failure) = result { #expect(failure.message.contains("OSG-REQUEST-V2")) }
    }

    @Test("nonces remembered from the store refuse replays after a restart; ones outside the window are skipped")
    func rememberedAcrossRestart() throws {
        let key = Curve25519.Signing.PrivateKey()
        let request = try received(try signed(key)).get()
        var restarted = RequestVerifier(windowSeconds: 120)
        restarted.remember(signer: request.signer, nonce: request.nonce, timestamp: request.timestamp, now: now + 10)
        restarted.remember(signer: request.signer, nonce: "nonce-long-ago-0001", timestamp: now - 1_000, now: now + 10)
        #expect(restarted.rememberedNonceCount == 1)
        #expect(restarted.verify(request, now: now + 10).failureCode == .nonceReused)
    }
}
