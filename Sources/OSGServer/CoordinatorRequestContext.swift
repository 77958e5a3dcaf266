import Hummingbird
import NIOCore

/// The request context of the coordinator's routes: Hummingbird's basic context plus the
/// connection's remote address, for the per-address request budget (``SourceAddressBudget``).
public struct CoordinatorRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer of the connection (`nil` when there is none, as in in-process tests).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
