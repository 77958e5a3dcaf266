/// FNV-1a over 64-bit words: a fixed, platform-independent digest of the computed output.
struct BenchmarkDigest {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01B3
    }
}
