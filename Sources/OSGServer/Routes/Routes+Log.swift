import Foundation
import Hummingbird
import OSGRequestBodies

/// The transparency-log files under `<data>/log/`, served read-only at `/log/…` for
/// mirrors, witnesses and `osg audit` (C2SP tlog-tiles layout).
extension Coordinator {
    func addLogRoutes(to router: Router<CoordinatorRequestContext>) {
        let files = LogDirectory(root: configuration.logDirectory)
        router.get("/log/**") { request, context in
            let relative = context.parameters.getCatchAll().joined(separator: "/")
            return try files.response(for: relative)
        }
    }
}

/// Safe reads from the log directory: no traversal, no hidden files, no symlinks out.
struct LogDirectory: Sendable {
    let root: String

    /// Largest file served (tiles are at most 8 KiB, bundles a few MiB).
    static let maxFileBytes = 64 << 20

    func response(for relative: String) throws(APIError) -> Response {
        guard let path = resolve(relative) else {
            throw APIError.notFound("no log file /log/\(relative.prefix(200))")
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, size <= Self.maxFileBytes,
              let data = FileManager.default.contents(atPath: path)
        else {
            throw APIError.notFound("no log file /log/\(relative.prefix(200))")
        }
        var headers: HTTPFields = [.contentType: Self.contentType(relative)]
        headers[.cacheControl] = Self.isImmutable(relative) ? "public, max-age=31536000, immutable" : "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The file path for a request path, or `nil` when it is not a plain relative path of
    /// allowed characters inside the root.
    func resolve(_ relative: String) -> String? {
        let segments = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.isEmpty, relative.utf8.count <= 512 else { return nil }
        for segment in segments {
            guard !segment.isEmpty, segment != ".", segment != "..", !segment.hasPrefix("."),
                  segment.utf8.allSatisfy({ $0.isSafePathByte })
            else { return nil }
        }
        let path = root + "/" + relative
        // Refuse symlinks that lead out of the root.
        let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard resolved.hasPrefix(resolvedRoot + "/") else { return nil }
        return resolved
    }

    static func contentType(_ relative: String) -> String {
        if relative.hasSuffix(".json") { return "application/json" }
        if relative == "checkpoint" || relative.hasSuffix(".txt") { return "text/plain; charset=utf-8" }
        return "application/octet-stream"
    }

    /// Full tiles and full entry bundles never change; partial ones (`.p/` in the path), the
    /// checkpoint and the published state do.
    static func isImmutable(_ relative: String) -> Bool {
        relative.hasPrefix("tile/") && !relative.contains(".p/") && !relative.hasSuffix(".p")
    }
}

extension UInt8 {
    var isSafePathByte: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
            || self == UInt8(ascii: ".") || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }
}
