import Dispatch
import Synchronization

/// Token buckets per key: each key may make `burst` requests at once and `perSecond` on
/// average (or, charged by ``admit(_:cost:)``, spend `burst` units such as body bytes at once
/// and `perSecond` on average). Memory is bounded: beyond `maxKeys` tracked keys, buckets that have refilled
/// (idle keys) are forgotten, and if none has, new keys are refused until some do.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updatedNanoseconds: Int64
    }

    /// Sustained requests per second per key.
    public let perSecond: Double
    /// Requests a key may make at once.
    public let burst: Double
    /// Most keys tracked at once.
    public let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock: @Sendable () -> Int64

    /// A limiter; `clock` gives monotonic nanoseconds (a parameter so tests control time).
    public init(perSecond: Double, burst: Double, maxKeys: Int = 100_000, clock: @escaping @Sendable () -> Int64 = RateLimiter.monotonicNanoseconds) {
        precondition(perSecond > 0 && burst >= 1 && maxKeys > 0, "rate limits must be positive")
        self.perSecond = perSecond
        self.burst = burst
        self.maxKeys = maxKeys
        self.clock = clock
    }

    /// Monotonic nanoseconds since boot.
    @Sendable public static func monotonicNanoseconds() -> Int64 {
        Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds)
    }

    /// Takes one token for `key`; returns the seconds to wait when there is none.
    public func admit(_ key: String) -> Result<Void, RetryAfter> {
        admit(key, cost: 1)
    }

    /// Takes `cost` tokens (at most ``burst``) for `key`; returns the seconds to wait until
    /// there are enough when there are not.
    public func admit(_ key: String, cost: Double) -> Result<Void, RetryAfter> {
        precondition(cost >= 0 && cost <= burst, "a charge fits in the burst")
        let now = clock()
        return buckets.withLock { buckets in
            if buckets[key] == nil, buckets.count >= maxKeys {
                buckets = buckets.filter { refilled($0.value, now: now) < burst }
                if buckets.count >= maxKeys { return .failure(RetryAfter(seconds: 1)) }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updatedNanoseconds: now)
            bucket.tokens = refilled(bucket, now: now)
            bucket.updatedNanoseconds = now
            guard bucket.tokens >= cost else {
                buckets[key] = bucket
                return .failure(RetryAfter(seconds: max(1, Int(min(86_400, ((cost - bucket.tokens) / perSecond).rounded(.up))))))
            }
            bucket.tokens -= cost
            buckets[key] = bucket
            return .success(())
        }
    }

    private func refilled(_ bucket: Bucket, now: Int64) -> Double {
        min(burst, bucket.tokens + Double(max(0, now - bucket.updatedNanoseconds)) / 1e9 * perSecond)
    }

    /// How long to wait before trying again.
    public struct RetryAfter: Error, Sendable, Equatable {
        public var seconds: Int
    }
}
