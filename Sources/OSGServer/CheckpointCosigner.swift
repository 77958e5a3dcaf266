import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import OSGLog
import OSGRequestBodies
import OSGTransparency
import Synchronization

/// Gathers witnesses' cosignatures for each checkpoint the coordinator publishes
/// (c2sp.org/tlog-witness `add-checkpoint`), before the checkpoint is written, so that the
/// served `/log/checkpoint` carries them.
///
/// Each witness is asked with a consistency proof from the size it cosigned last (known from
/// its previous answer, or from its 409 `text/x.tlog.size` answer, after which it is asked
/// again once). A witness that does not answer within ``timeout``, refuses, or answers a line
/// that is not its valid cosignature adds nothing; the checkpoint is published all the same
/// (clients that require a quorum then refuse it, which is the point).
public final class CheckpointCosigner: Sendable {
    /// A witness: where its `add-checkpoint` is, and the key its cosignatures verify with.
    public struct Endpoint: Sendable, Hashable {
        /// Why a `--witness` setting cannot be used.
        public struct SettingError: Error, CustomStringConvertible {
            public var description: String
        }

        public var url: String
        public var key: CosignerKey

        /// Parses `URL=<witness verifier key>`.
        public init(parsing text: String) throws {
            guard let equals = text.firstIndex(of: "="), text[..<equals].hasPrefix("http://") || text[..<equals].hasPrefix("https://") else {
                throw SettingError(description: "--witness must be URL=KEY, the URL http:// or https:// (the witness's add-checkpoint prefix), got \(text)")
            }
            url = String(text[..<equals]).trimmingSuffix("/")
            do {
                key = try CosignerKey(parsing: String(text[text.index(after: equals)...]))
            } catch {
                throw SettingError(description: "--witness \(text): \(error)")
            }
        }
    }

    public let endpoints: [Endpoint]
    /// How long one witness may take to answer.
    public let timeout: TimeAmount
    private let cosignedSizes: Mutex<[String: UInt64]>
    private let http: HTTPClient
    private let logger: Logger

    public init(endpoints: [Endpoint], timeout: TimeAmount = .seconds(5), logger: Logger) {
        self.endpoints = endpoints
        self.timeout = timeout
        self.cosignedSizes = Mutex([:])
        self.http = HTTPClient(eventLoopGroupProvider: .singleton)
        self.logger = logger
    }

    deinit { try? http.syncShutdown() }

    /// The cosignature lines of every witness that cosigned `note` (of tree size `size`);
    /// `proof(old)` gives a consistency proof from `old` to `size`.
    public func cosign(_ note: SignedNote, size: UInt64, proof: @escaping @Sendable (UInt64) async throws -> [[UInt8]]) async -> [NoteSignature] {
        await withTaskGroup(of: NoteSignature?.self) { group in
            for endpoint in endpoints {
                group.addTask { await self.ask(endpoint, note: note, size: size, proof: proof) }
            }
            var lines: [NoteSignature] = []
            for await line in group { if let line { lines.append(line) } }
            return lines.sorted { ($0.keyName, $0.keyID) < ($1.keyName, $1.keyID) }
        }
    }

    private func ask(_ endpoint: Endpoint, note: SignedNote, size: UInt64, proof: @escaping @Sendable (UInt64) async throws -> [[UInt8]]) async -> NoteSignature? {
        var old = cosignedSizes.withLock { $0[endpoint.url] } ?? 0
        for _ in 0..<2 {
            do {
                let hashes = old == 0 || old >= size ? [] : try await proof(old)
                var request = HTTPClientRequest(url: endpoint.url + "/add-checkpoint")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "text/plain")
                request.body = .bytes(ByteBuffer(bytes: Witness.addCheckpointBody(oldSize: min(old, size), proof: hashes, note: note.formatted)))
                let response = try await http.execute(request, timeout: timeout)
                let body = String(buffer: try await response.body.collect(upTo: 64 << 10))
                if response.status.code == 409, response.headers.first(name: "Content-Type")?.hasPrefix("text/x.tlog.size") == true,
                   let latest = UInt64(body.trimmingCharacters(in: .whitespacesAndNewlines)) {
                    old = latest
                    cosignedSizes.withLock { $0[endpoint.url] = latest }
                    continue
                }
                guard response.status.code == 200 else {
                    logger.warning("a witness refused the checkpoint", metadata: ["witness": "\(endpoint.url)", "status": "\(response.status.code)", "answer": "\(body.prefix(300))"])
                    return nil
                }
                let lines = body.split(separator: "\n").compactMap { try? NoteSignature(parsingLine: $0, lineNumber: 1) }
                guard let line = lines.first(where: { endpoint.key.verifiedTime(of: $0, text: note.text) != nil }) else {
                    logger.warning("a witness answered no valid cosignature", metadata: ["witness": "\(endpoint.url)"])
                    return nil
                }
                cosignedSizes.withLock { $0[endpoint.url] = size }
                return line
            } catch {
                logger.warning("a witness did not answer", metadata: ["witness": "\(endpoint.url)", "error": "\(error)"])
                return nil
            }
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
