import Foundation
import HTTPTypes
import Hummingbird

extension Coordinator {
    /// The web dashboard at `/`: a static page whose script reads the public API (nothing a
    /// stranger could not read with curl), served with a policy that lets it load nothing but
    /// its own files and talk to nothing but this coordinator.
    func addDashboardRoutes(to router: Router<CoordinatorRequestContext>) {
        for file in DashboardFiles.all {
            let response = file.response
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

        var response: Response {
            Response(status: .ok, headers: [
                .contentType: contentType,
                .contentSecurityPolicy: DashboardFiles.contentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
                .cacheControl: "no-cache",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// Only the dashboard's own script, style and API calls; no inline script, no frames.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

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
