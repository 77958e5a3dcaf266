import Foundation
import HTTPTypes
import Hummingbird

extension Coordinator {
    /// The web dashboard at `/`: a static page whose script reads the public API (nothing a
    /// stranger could not read with curl), served with a policy that lets it load nothing but
    /// its own files and talk to nothing but this coordinator and its witnesses (whose audits
    /// it shows).
    func addDashboardRoutes(to router: Router<CoordinatorRequestContext>) {
        let policy = DashboardFiles.contentSecurityPolicy(witnessOrigins: configuration.witnesses.compactMap { DashboardFiles.origin(of: $0.url) })
        for file in DashboardFiles.all {
            let response = file.response(contentSecurityPolicy: policy)
            router.get(RouterPath(file.path)) { _, _ in response }
        }
    }
}

/// The dashboard's files, package resources of OSGServer (`Resources/dashboard/`).
enum DashboardFiles {
    struct File: Sendable {
        var path: String
        var bytes: [UInt8]
        var contentType: String

        func response(contentSecurityPolicy: String) -> Response {
            Response(status: .ok, headers: [
                .contentType: contentType,
                .contentSecurityPolicy: contentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
                .cacheControl: "no-cache",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// Only the dashboard's own script, style and API calls (and reads of the witnesses'
    /// audits); no inline script, no frames.
    static func contentSecurityPolicy(witnessOrigins: [String] = []) -> String {
        let connect = (["'self'"] + witnessOrigins).joined(separator: " ")
        return "default-src 'none'; script-src 'self'; style-src 'self'; connect-src \(connect); img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    /// `scheme://host[:port]` of an http(s) URL, when it has nothing a policy could misread.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]" })
        else { return nil }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }

    static let all: [File] = [
        File(path: "/", bytes: resource("index.html"), contentType: "text/html; charset=utf-8"),
        File(path: "/dashboard.js", bytes: resource("dashboard.js"), contentType: "text/javascript; charset=utf-8"),
        File(path: "/dashboard.css", bytes: resource("dashboard.css"), contentType: "text/css; charset=utf-8"),
    ]

    private static func resource(_ name: String) -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "dashboard/" + name, withExtension: nil),
              let data = try? Data(contentsOf: url)
        else { preconditionFailure("the dashboard's \(name) is a resource of OSGServer") }
        return Array(data)
    }
}
