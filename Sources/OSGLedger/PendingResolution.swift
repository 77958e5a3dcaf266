/// A request to post (apply) or void (release) a pending transfer.
public struct PendingResolution: Sendable, Hashable {
    /// Post or void.
    public enum Action: UInt8, Sendable, Hashable {
        /// Apply the pending amount, or part of it; the rest is released.
        case post
        /// Release the whole pending amount.
        case void
    }

    /// Client-chosen id, in the same namespace as transfer ids.
    public var id: UInt64
    /// The pending transfer to resolve.
    public var pendingID: UInt64
    /// Post or void.
    public var action: Action
    /// For a post: the amount to apply (`nil` = the whole pending amount); must be ≥ 1 and ≤
    /// the pending amount. Always `nil` for a void.
    public var amountMicroCredits: UInt64?

    /// Creates a post of `amountMicroCredits` (`nil` = all) of a pending transfer.
    public static func post(id: UInt64, pendingID: UInt64, amountMicroCredits: UInt64? = nil) -> Self {
        Self(id: id, pendingID: pendingID, action: .post, amountMicroCredits: amountMicroCredits)
    }

    /// Creates a void of a pending transfer.
    public static func void(id: UInt64, pendingID: UInt64) -> Self {
        Self(id: id, pendingID: pendingID, action: .void, amountMicroCredits: nil)
    }
}
