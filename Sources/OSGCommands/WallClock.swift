import Foundation
import OSGDomain

/// The one place the CLI reads the real clock; the core only ever receives timestamps.
enum WallClock {
    /// The current time, truncated to whole seconds.
    static func now() -> Timestamp {
        Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970.rounded(.down)))
    }
}
