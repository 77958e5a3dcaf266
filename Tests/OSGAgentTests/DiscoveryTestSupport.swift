@testable import OSGAgent

/// The discovery error `body` throws, by code; `nil` when it throws nothing or another error.
func code(of body: () throws -> some Any) -> DiscoveryError.Code? {
    do {
        _ = try body()
        return nil
    } catch let error as DiscoveryError {
        return error.code
    } catch {
        return nil
    }
}
