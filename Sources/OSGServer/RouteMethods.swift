import Hummingbird
import Synchronization

/// The methods each route path answers, so that a known path asked with another method gets
/// `405 Method Not Allowed` with an `Allow` header (RFC 9110 §15.5.6) instead of a 404.
///
/// Filled once from the router's routes after they are all added (``record(_:)``), then read by
/// ``APIMiddleware`` for every request the router could not match.
final class RouteMethods: Sendable {
    /// One route path, split into its components, and the methods it answers.
    private struct Pattern: Sendable {
        var components: [Substring]
        var methods: Set<String>
    }

    private let patterns = Mutex<[Pattern]>([])

    /// Records every route of `routes` (`{name}` captures one component, `*` one component, `**` the rest).
    func record(_ routes: [Router<CoordinatorRequestContext>.RouteDescription]) {
        var byPath: [String: Set<String>] = [:]
        for route in routes { byPath[route.path.description, default: []].insert(route.method.rawValue) }
        let recorded = byPath.sorted { $0.key < $1.key }.map { Pattern(components: Self.split($0.key), methods: $0.value) }
        patterns.withLock { $0 = recorded }
    }

    /// The methods the routes matching `path` answer, sorted; empty when no route has this path.
    func allowed(for path: String) -> [String] {
        let components = Self.split(path)
        return patterns.withLock { patterns in
            patterns.filter { Self.matches($0.components, components) }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
        }.sorted()
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        for (index, component) in pattern.enumerated() {
            if component == "**" { return path.count > index }
            guard index < path.count else { return false }
            let isCapture = component == "*" || (component.hasPrefix("{") && component.hasSuffix("}"))
            if !isCapture && component != path[index] { return false }
        }
        return pattern.count == path.count
    }
}
