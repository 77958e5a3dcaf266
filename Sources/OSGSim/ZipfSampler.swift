import OSGDomain

/// Draws user ranks with probability proportional to 1 / (rank + 1).
struct ZipfSampler {
    /// Cumulative weights, scaled to integers.
    let cumulative: [UInt64]

    init(count: Int) {
        var sum: UInt64 = 0
        var values: [UInt64] = []
        values.reserveCapacity(count)
        for rank in 0..<count {
            sum += 1_000_000_000 / UInt64(rank + 1)
            values.append(sum)
        }
        cumulative = values
    }

    func sample(_ random: inout SplitMix64) -> Int {
        let pick = random.next(below: cumulative.last!)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > pick { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
